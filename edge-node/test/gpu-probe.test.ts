import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasNvenc, parseNvidiaSmiXml, parseReading, probeGpus } from '../src/telemetry/gpu-probe.js';
import { isAlive } from '../../e2e/src/process-tree.js';

const logger = pino({ level: 'silent' });
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/nvidia-smi/${name}`, import.meta.url));

/** How much later than its timeout a probe may come back on a busy 2-core test machine. */
const MARGIN_MS = 2000;

describe('probeGpus with a fake nvidia-smi on PATH', () => {
  let bin: string;

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'edgeplay-nvidia-smi-'));
    // Our fake comes first, so a real nvidia-smi on a GPU machine cannot answer instead.
    vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(bin, { recursive: true, force: true });
  });

  const fakeNvidiaSmi = (body: string): void =>
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  const replaying = (name: string): void => fakeNvidiaSmi(`cat '${fixture(name)}'`);

  it('reads one RTX 4090 with NVENC in use', async () => {
    replaying('rtx-4090.xml');
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    expect(probe).toEqual({
      kind: 'nvidia',
      gpus: [
        {
          index: 0,
          uuid: 'GPU-7d3b9a42-15c8-4e6f-a0b2-9c41e5f8d263',
          model: 'NVIDIA GeForce RTX 4090',
          vramTotalMiB: 24564,
          vramUsedMiB: 5321,
          driverVersion: '550.127.05',
          utilizationPercent: 47,
          temperatureC: 61,
          pciBusId: '00000000:01:00.0',
          encoder: { supported: true, sessions: 1, utilizationPercent: 12 },
        },
      ],
    });
  });

  it('reads two L4s in listing order, each with its own load', async () => {
    replaying('l4-x2.xml');
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    if (probe.kind !== 'nvidia') throw new Error(`expected GPUs, got: ${probe.reason}`);
    expect(probe.gpus).toHaveLength(2);
    expect(probe.gpus.map((gpu) => [gpu.index, gpu.model, gpu.vramTotalMiB, gpu.vramUsedMiB])).toEqual([
      [0, 'NVIDIA L4', 23034, 6187],
      [1, 'NVIDIA L4', 23034, 0],
    ]);
    expect(probe.gpus.map((gpu) => [gpu.utilizationPercent, gpu.temperatureC])).toEqual([
      [64, 58],
      [0, 37],
    ]);
    expect(probe.gpus.map((gpu) => gpu.encoder)).toEqual([
      { supported: true, sessions: 2, utilizationPercent: 27 },
      { supported: true, sessions: 0, utilizationPercent: 0 },
    ]);
    expect(new Set(probe.gpus.map((gpu) => gpu.uuid)).size).toBe(2);
    expect(probe.gpus.map((gpu) => gpu.pciBusId)).toEqual(['00000000:38:00.0', '00000000:3A:00.0']);
    expect(probe.gpus.every((gpu) => gpu.driverVersion === '535.183.01')).toBe(true);
  });

  it('reads one H100 as a GPU without NVENC, although it lists encoder stats', async () => {
    replaying('h100-sxm.xml');
    expect(readFileSync(fixture('h100-sxm.xml'), 'utf8')).toContain('<encoder_stats>');
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    expect(probe).toEqual({
      kind: 'nvidia',
      gpus: [
        {
          index: 0,
          uuid: 'GPU-c2e57a19-8b04-6df3-1a7e-48b9d03f6c55',
          model: 'NVIDIA H100 80GB HBM3',
          vramTotalMiB: 81559,
          vramUsedMiB: 1,
          driverVersion: '550.54.15',
          utilizationPercent: 0,
          temperatureC: 33,
          pciBusId: '00000000:19:00.0',
          encoder: { supported: false, sessions: 0, utilizationPercent: 0 },
        },
      ],
    });
  });

  it('still reads the XML when nvidia-smi warns on stderr', async () => {
    fakeNvidiaSmi(`echo 'WARNING: infoROM is corrupted at gpu 0000:01:00.0' >&2\ncat '${fixture('rtx-4090.xml')}'`);
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    expect(probe.kind).toBe('nvidia');
  });

  it('is CPU-only, with the driver message, when nvidia-smi exits 9', async () => {
    fakeNvidiaSmi(
      `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running." >&2\nexit 9`,
    );
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    expect(probe.kind).toBe('cpu-only');
    if (probe.kind !== 'cpu-only') return;
    expect(probe.reason).toContain('failed with exit code 9');
    expect(probe.reason).toContain("couldn't communicate with the NVIDIA driver");
  });

  it('takes the reason from stdout when nvidia-smi prints its error there', async () => {
    // nvidia-smi writes "No devices were found" to stdout and exits 6.
    fakeNvidiaSmi('echo "No devices were found"\nexit 6');
    const probe = await probeGpus({ timeoutMs: 3000, logger });
    expect(probe).toEqual({
      kind: 'cpu-only',
      reason: 'nvidia-smi failed with exit code 6: No devices were found',
    });
  });

  it('is CPU-only when nvidia-smi prints something that is not its XML', async () => {
    fakeNvidiaSmi('echo "<nvidia_smi_log><gpu>"');
    const broken = await probeGpus({ timeoutMs: 3000, logger });
    expect(broken.kind === 'cpu-only' && broken.reason).toMatch(/^could not read nvidia-smi's XML/);

    fakeNvidiaSmi('echo "<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>"');
    expect(await probeGpus({ timeoutMs: 3000, logger })).toEqual({
      kind: 'cpu-only',
      reason: 'nvidia-smi listed no GPUs',
    });
  });

  it('kills a hung nvidia-smi, and everything it started, at the timeout', async () => {
    // A wrapper whose child hangs: the kind of process tree that outlives a plain kill(pid).
    fakeNvidiaSmi(`echo $$ > '${bin}/shell.pid'\nsleep 30 &\necho $! > '${bin}/sleep.pid'\nwait`);
    const timeoutMs = 500;
    const started = performance.now();
    const probe = await probeGpus({ timeoutMs, logger });
    const elapsed = performance.now() - started;

    expect(probe).toEqual({
      kind: 'cpu-only',
      reason: 'nvidia-smi did not answer within 500 ms and was killed; the GPU driver may be hung',
    });
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(elapsed).toBeLessThan(timeoutMs + MARGIN_MS);

    const pids = ['shell.pid', 'sleep.pid'].map((file) => Number(readFileSync(join(bin, file), 'utf8')));
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 1000, interval: 20 });
  });

  it('is CPU-only when there is no nvidia-smi at all', async () => {
    vi.stubEnv('PATH', bin); // an empty folder: nothing to find
    const started = performance.now();
    expect(await probeGpus({ timeoutMs: 3000, logger })).toEqual({
      kind: 'cpu-only',
      reason: 'nvidia-smi was not found: no NVIDIA driver is installed',
    });
    expect(performance.now() - started).toBeLessThan(1000);

    expect(await probeGpus({ timeoutMs: 3000, logger, command: join(bin, 'no-such-nvidia-smi') })).toEqual({
      kind: 'cpu-only',
      reason: `${join(bin, 'no-such-nvidia-smi')} was not found: no NVIDIA driver is installed`,
    });
  });

  it('is CPU-only when a wrapper reports exit 127 (command not found)', async () => {
    fakeNvidiaSmi('echo "nvidia-smi: command not found" >&2\nexit 127');
    expect(await probeGpus({ timeoutMs: 3000, logger })).toEqual({
      kind: 'cpu-only',
      reason: 'nvidia-smi was not found: no NVIDIA driver is installed',
    });
  });
});

describe('nvidia-smi XML details', () => {
  const rtx = readFileSync(fixture('rtx-4090.xml'), 'utf8');

  it('turns readings into numbers and N/A into nothing', () => {
    expect(parseReading('81559 MiB', 'MiB')).toBe(81559);
    expect(parseReading('35 C', 'C')).toBe(35);
    expect(parseReading('0 %', '%')).toBe(0);
    expect(parseReading('2', '')).toBe(2);
    expect(parseReading('N/A', '%')).toBeUndefined();
    expect(parseReading('[Not Supported]', 'MiB')).toBeUndefined();
    expect(parseReading('[Unknown Error]', 'C')).toBeUndefined();
    expect(parseReading('12 GiB', 'MiB')).toBeUndefined();
    expect(parseReading(undefined, 'MiB')).toBeUndefined();
  });

  it('leaves out readings the driver gives as N/A (a GPU in MIG mode has no whole-GPU utilization)', async () => {
    const mig = rtx
      .replace('<gpu_util>47 %</gpu_util>', '<gpu_util>N/A</gpu_util>')
      .replace('<encoder_util>12 %</encoder_util>', '<encoder_util>N/A</encoder_util>')
      .replace('<gpu_temp>61 C</gpu_temp>', '<gpu_temp>N/A</gpu_temp>');
    const probe = await parseNvidiaSmiXml(mig, logger);
    if (probe.kind !== 'nvidia') throw new Error(probe.reason);
    const [gpu] = probe.gpus;
    expect(gpu?.utilizationPercent).toBeUndefined();
    expect(gpu?.temperatureC).toBeUndefined();
    expect(gpu?.encoder).toEqual({ supported: true, sessions: 1 });
    expect(gpu?.vramTotalMiB).toBe(24564);
  });

  it('keeps a GPU whose PCI bus id is odd, without the bus id (it then cannot host an Xorg display)', async () => {
    const odd = rtx.replace('<pci_bus_id>00000000:01:00.0</pci_bus_id>', '<pci_bus_id>N/A</pci_bus_id>');
    const probe = await parseNvidiaSmiXml(odd, logger);
    if (probe.kind !== 'nvidia') throw new Error(probe.reason);
    expect(probe.gpus[0]?.model).toBe('NVIDIA GeForce RTX 4090');
    expect(probe.gpus[0]?.pciBusId).toBeUndefined();
  });

  it('says no NVENC when the driver reports no encoder stats, even for an RTX card', async () => {
    const withoutStats = rtx.replace(/<encoder_stats>[\s\S]*?<\/encoder_stats>/, '');
    const probe = await parseNvidiaSmiXml(withoutStats, logger);
    if (probe.kind !== 'nvidia') throw new Error(probe.reason);
    expect(probe.gpus[0]?.encoder).toEqual({ supported: false, sessions: 0, utilizationPercent: 0 });
  });

  it('leaves out a GPU whose record lacks what placement needs, and keeps the others', async () => {
    const l4s = readFileSync(fixture('l4-x2.xml'), 'utf8');
    const probe = await parseNvidiaSmiXml(l4s.replace('<total>23034 MiB</total>', '<total>N/A</total>'), logger);
    if (probe.kind !== 'nvidia') throw new Error(probe.reason);
    expect(probe.gpus.map((gpu) => gpu.index)).toEqual([1]);
  });

  it.each([
    ['NVIDIA GeForce RTX 4090', true],
    ['NVIDIA GeForce RTX 3060', true],
    ['NVIDIA RTX A4000', true],
    ['NVIDIA L4', true],
    ['NVIDIA L40S', true],
    ['NVIDIA A10', true],
    ['Tesla T4', true],
    ['NVIDIA H100 80GB HBM3', false],
    ['NVIDIA H100 PCIe', false],
    ['NVIDIA H200', false],
    ['NVIDIA GH200 480GB', false],
    ['NVIDIA H20', false],
    ['NVIDIA A100-SXM4-80GB', false],
    ['NVIDIA A100 80GB PCIe', false],
    ['NVIDIA A30', false],
    ['NVIDIA GeForce GT 1030', false],
  ])('NVENC on %s with encoder stats: %s', (model, expected) => {
    expect(hasNvenc(model, true)).toBe(expected);
  });
});
