import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatCheck } from '../src/doctor/check-result.js';
import { checkNvenc, checkNvidiaDriver, checkXorgNvidia } from '../src/doctor/gpu-checks.js';
import { gatherMachineFacts } from '../src/doctor/machine-facts.js';
import { checkSessionPaths } from '../src/doctor/media-checks.js';
import type { LocateXorgOptions } from '../src/runtime/render-path.js';

const logger = pino({ level: 'silent' });
const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', 'nvidia-smi', name);

/*
 * No NVIDIA GPU exists here, so nvidia-smi is a script on PATH replaying what real GPUs
 * printed (test/fixtures/nvidia-smi), and where a check needs NVENC itself to work, ffmpeg
 * is a wrapper that answers the one-frame NVENC test and hands everything else to the real
 * ffmpeg. Xorg is the real one: with no real NVIDIA module it fails the way it would on a
 * box with a broken driver install.
 */
describe('doctor on GPU machines (replayed nvidia-smi)', () => {
  let bin: string;

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'edgeplay-doctor-gpu-'));
    vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(bin, { recursive: true, force: true });
  });

  const nvidiaSmi = (body: string): void =>
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const replaying = (name: string): void => nvidiaSmi(`cat '${fixture(name)}'`);
  /** An ffmpeg whose NVENC works: the GPU part, faked; the rest is the real ffmpeg. */
  const nvencWorks = (): void =>
    writeFileSync(
      join(bin, 'ffmpeg'),
      '#!/bin/sh\ncase "$*" in *h264_nvenc*) exit 0 ;; esac\nexec /usr/bin/ffmpeg "$@"\n',
      { mode: 0o755 },
    );
  /** Xorg's NVIDIA module "installed" (a file where the locator looks; Xorg cannot load it). */
  const nvidiaXDriver = (): LocateXorgOptions => {
    writeFileSync(join(bin, 'nvidia_drv.so'), '');
    return { driverCandidates: [join(bin, 'nvidia_drv.so')] };
  };
  const noXDriver: LocateXorgOptions = { driverCandidates: ['/nonexistent/nvidia_drv.so'] };

  it('H100: can render on the GPU but has no NVENC, so it encodes on the CPU, and doctor says so', async () => {
    replaying('h100-sxm.xml');
    const facts = await gatherMachineFacts(logger, noXDriver);
    expect(formatCheck(checkNvidiaDriver(facts))).toBe(
      'ok    NVIDIA driver: driver 550.54.15, 1 GPU: NVIDIA H100 80GB HBM3',
    );
    expect(formatCheck(checkNvenc(facts))).toBe(
      'warn  NVENC: NVIDIA H100 80GB HBM3 has no NVENC: encoding with x264 on the CPU; titles still render on the GPU, and x264 needs about a third of a CPU core per 720p60 session\n' +
        '      fix: nothing to install: this GPU model (H100, H200, A100 class) has no video encoder. Set MAX_SESSIONS to what the CPU cores can encode, or use a GPU with NVENC (GeForce RTX, RTX A/Ada, L4, L40, T4).',
    );
  });

  it('GPU without the Xorg nvidia driver: warns that titles render in software, and names the package', async () => {
    replaying('rtx-4090.xml');
    const facts = await gatherMachineFacts(logger, noXDriver);
    const xorg = await checkXorgNvidia(facts, logger);
    expect(formatCheck(xorg)).toBe(
      'warn  Xorg + NVIDIA driver: GPU present but no Xorg nvidia driver (nvidia_drv.so): rendering in software (Xvfb)\n' +
        "      fix: install the NVIDIA X driver that matches the kernel driver (Debian: xserver-xorg-video-nvidia; Ubuntu: xserver-xorg-video-nvidia-<version>; NVIDIA's .run installer: do not pass --no-x-check), then run doctor again.",
    );
    expect(checkSessionPaths(facts, xorg).message).toMatch(/^renderPath=xvfb encodePath=/);
  });

  it('L4s with NVENC: encodes on the GPU once a one-frame test encode works', async () => {
    replaying('l4-x2.xml');
    nvencWorks();
    const facts = await gatherMachineFacts(logger, noXDriver);
    expect(facts.paths.encode.encodePath).toBe('h264_nvenc');
    expect(formatCheck(checkNvenc(facts))).toBe(
      'ok    NVENC: encoding with h264_nvenc on NVIDIA L4 (a one-frame test encode worked)',
    );
    expect(formatCheck(checkNvidiaDriver(facts))).toBe(
      'ok    NVIDIA driver: driver 535.183.01, 2 GPUs: NVIDIA L4, NVIDIA L4',
    );
  });

  it('L4s whose NVENC does not work (no driver libraries here): warns, encodes with x264, names the libraries', async () => {
    replaying('l4-x2.xml');
    const facts = await gatherMachineFacts(logger, noXDriver);
    const line = formatCheck(checkNvenc(facts));
    expect(line).toMatch(/^warn {2}NVENC: a one-frame h264_nvenc encode failed: .+: encoding with x264 on the CPU\n/);
    expect(line).toContain(
      "fix: install the driver's CUDA and encode libraries for its exact version (Debian: libcuda1 and libnvidia-encode1",
    );
    expect(facts.paths.encode.encodePath).toBe('libx264');
  });

  it("GPU with the X driver but an Xorg that cannot start on it: fails with Xorg's own reason", async () => {
    replaying('h100-sxm.xml');
    const facts = await gatherMachineFacts(logger, nvidiaXDriver());
    expect(facts.paths.render.renderPath).toBe('xorg-nvidia');
    const xorg = await checkXorgNvidia(facts, logger);
    expect(xorg.status).toBe('fail');
    expect(xorg.message).toMatch(
      /^Xorg did not start on NVIDIA H100 80GB HBM3 \(PCI:25:0:0\): Xorg exited before it was ready: .*nvidia.*\. Each session would try it, then fall back to software$/,
    );
    expect(xorg.fix).toContain('the NVIDIA X driver and kernel module have different versions');
    expect(checkSessionPaths(facts, xorg).message).toBe(
      'renderPath=xorg-nvidia encodePath=libx264: each session tries Xorg on the GPU, which failed above, then renders in software (Xvfb)',
    );
  });

  it('a broken driver (nvidia-smi cannot talk to it): warns that the node runs CPU only, and how to fix it', async () => {
    nvidiaSmi(`echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." >&2\nexit 9`);
    const facts = await gatherMachineFacts(logger, noXDriver);
    const line = formatCheck(checkNvidiaDriver(facts));
    expect(line).toMatch(
      /^warn {2}NVIDIA driver: nvidia-smi is installed but does not work \(nvidia-smi failed with exit code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\.\), so this node runs CPU only\n/,
    );
    expect(line).toContain('fix: reboot if the driver was just updated');
    expect(formatCheck(checkNvenc(facts))).toBe('skip  NVENC: no NVIDIA GPU: sessions encode with x264 on the CPU');
  });
});
