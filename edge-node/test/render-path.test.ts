import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeMediaPaths } from '../src/runtime/media-paths.js';
import { chooseRenderPath, locateXorgNvidia, type XorgInstall } from '../src/runtime/render-path.js';
import { gpuForSession } from '../src/runtime/session-display.js';
import { parseNvidiaSmiXml, type GpuProbe } from '../src/telemetry/gpu-probe.js';
import type { EncoderProbe } from '../src/telemetry/encoder-probe.js';

const silent = pino({ level: 'silent' });
const FIXTURES = join(import.meta.dirname, 'fixtures', 'nvidia-smi');
/** GPUs as nvidia-smi on a real machine of that kind reports them. */
const gpusOf = (name: string): Promise<GpuProbe> =>
  parseNvidiaSmiXml(readFileSync(join(FIXTURES, name), 'utf8'), silent);
const CPU_ONLY: GpuProbe = { kind: 'cpu-only', reason: 'nvidia-smi was not found: no NVIDIA driver is installed' };
const DEBIAN: XorgInstall = {
  xorg: '/usr/bin/Xorg',
  nvidiaDriver: '/usr/lib/xorg/modules/drivers/nvidia_drv.so',
  moduleDir: '/usr/lib/xorg/modules',
};
const NO_X: XorgInstall = { xorg: undefined, nvidiaDriver: undefined, moduleDir: undefined };

describe('choosing where sessions render', () => {
  it('renders in software on a CPU-only machine and says CPU ONLY, with the reason', () => {
    expect(chooseRenderPath(CPU_ONLY, DEBIAN)).toEqual({
      renderPath: 'xvfb',
      cause: 'cpu-only',
      reason: 'CPU ONLY: nvidia-smi was not found: no NVIDIA driver is installed; titles render in software (Xvfb)',
    });
  });

  it('renders on the GPU with Xorg, one config per GPU bus id, when the NVIDIA X driver is installed', async () => {
    const plan = chooseRenderPath(await gpusOf('l4-x2.xml'), DEBIAN);
    expect(plan).toEqual({
      renderPath: 'xorg-nvidia',
      gpus: [
        { model: 'NVIDIA L4', busId: 'PCI:56:0:0' },
        { model: 'NVIDIA L4', busId: 'PCI:58:0:0' },
      ],
      xorg: '/usr/bin/Xorg',
      modulePaths: ['/usr/lib/xorg/modules'],
      reason: 'rendering on the GPU (NVIDIA L4) through Xorg and the NVIDIA driver, one display per session',
    });
  });

  it('renders an H100 on the GPU too: no NVENC does not mean no rendering', async () => {
    const plan = chooseRenderPath(await gpusOf('h100-sxm.xml'), DEBIAN);
    expect(plan.renderPath).toBe('xorg-nvidia');
    expect(plan.renderPath === 'xorg-nvidia' && plan.gpus).toEqual([
      { model: 'NVIDIA H100 80GB HBM3', busId: 'PCI:25:0:0' },
    ]);
  });

  it("puts Ubuntu's NVIDIA module folder before Xorg's own", async () => {
    const plan = chooseRenderPath(await gpusOf('rtx-4090.xml'), {
      ...DEBIAN,
      nvidiaDriver: '/usr/lib/x86_64-linux-gnu/nvidia/xorg/nvidia_drv.so',
    });
    expect(plan.renderPath === 'xorg-nvidia' && plan.modulePaths).toEqual([
      '/usr/lib/x86_64-linux-gnu/nvidia/xorg',
      '/usr/lib/xorg/modules',
    ]);
  });

  it('falls back to software on a GPU without the Xorg nvidia driver, and says which piece is missing', async () => {
    const gpu = await gpusOf('rtx-4090.xml');
    expect(chooseRenderPath(gpu, { ...DEBIAN, nvidiaDriver: undefined })).toEqual({
      renderPath: 'xvfb',
      cause: 'no-nvidia-x-driver',
      reason: 'GPU present but no Xorg nvidia driver (nvidia_drv.so): rendering in software (Xvfb)',
    });
    expect(chooseRenderPath(gpu, NO_X)).toMatchObject({
      renderPath: 'xvfb',
      cause: 'no-xorg',
      reason: expect.stringContaining('GPU present but Xorg is not installed') as unknown,
    });
  });

  it('falls back to software when nvidia-smi gave no bus id for any GPU', async () => {
    const gpu = await gpusOf('rtx-4090.xml');
    if (gpu.kind !== 'nvidia') throw new Error('fixture should parse');
    const withoutBus: GpuProbe = { kind: 'nvidia', gpus: gpu.gpus.map(({ pciBusId: _drop, ...rest }) => rest) };
    expect(chooseRenderPath(withoutBus, DEBIAN)).toMatchObject({ renderPath: 'xvfb', cause: 'no-bus-id' });
  });
});

describe('finding Xorg and the NVIDIA X driver on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-xorg-locate-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the first driver candidate that exists, and Xorg from PATH', async () => {
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'Xorg'), '#!/bin/sh\n', { mode: 0o755 });
    await mkdir(join(dir, 'ubuntu'));
    await writeFile(join(dir, 'ubuntu', 'nvidia_drv.so'), '');
    await mkdir(join(dir, 'modules'));
    const found = await locateXorgNvidia({
      path: `${join(dir, 'nowhere')}:${join(dir, 'bin')}`,
      driverCandidates: [join(dir, 'debian', 'nvidia_drv.so'), join(dir, 'ubuntu', 'nvidia_drv.so')],
      moduleDirs: [join(dir, 'lib64'), join(dir, 'modules')],
    });
    expect(found).toEqual({
      xorg: join(dir, 'bin', 'Xorg'),
      nvidiaDriver: join(dir, 'ubuntu', 'nvidia_drv.so'),
      moduleDir: join(dir, 'modules'),
    });
  });

  it('finds nothing where nothing is installed (an Xorg that is not executable does not count)', async () => {
    await writeFile(join(dir, 'Xorg'), 'not a program', { mode: 0o644 });
    expect(
      await locateXorgNvidia({ path: dir, driverCandidates: [join(dir, 'nvidia_drv.so')], moduleDirs: [] }),
    ).toEqual(NO_X);
  });
});

describe('spreading sessions over GPUs', () => {
  it('always gives one session the same GPU, and uses every GPU over many sessions', () => {
    const gpus = [
      { model: 'NVIDIA L4', busId: 'PCI:56:0:0' },
      { model: 'NVIDIA L4', busId: 'PCI:58:0:0' },
    ];
    expect(gpuForSession(gpus, 'session-a')).toBe(gpuForSession(gpus, 'session-a'));
    const used = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const gpu = gpuForSession(gpus, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      used.set(gpu?.busId ?? 'none', (used.get(gpu?.busId ?? 'none') ?? 0) + 1);
    }
    expect([...used.keys()].sort()).toEqual(['PCI:56:0:0', 'PCI:58:0:0']);
    for (const count of used.values()) expect(count).toBeGreaterThan(60);
    expect(gpuForSession([], 'x')).toBeUndefined();
  });
});

describe('the start-up decision as the log tells it', () => {
  const FFMPEG: EncoderProbe = {
    kind: 'ffmpeg',
    encoders: [
      { name: 'libx264', codec: 'h264', backend: 'software' },
      { name: 'h264_nvenc', codec: 'h264', backend: 'nvenc' },
    ],
  };

  function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string; reason?: string }[] } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    return {
      logger: pino({ level: 'info' }, stream),
      lines: () =>
        chunks
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string }),
    };
  }

  it('warns that a GPU box without the Xorg nvidia driver renders in software', async () => {
    const { logger, lines } = capture();
    const paths = await probeMediaPaths({
      gpu: await gpusOf('h100-sxm.xml'),
      encoders: FFMPEG,
      logger,
      locate: { driverCandidates: ['/nonexistent/nvidia_drv.so'] },
    });
    expect(paths.render.renderPath).toBe('xvfb');
    expect(paths.encode).toEqual({
      encodePath: 'libx264',
      reason: 'NVIDIA H100 80GB HBM3 has no NVENC: encoding with x264 on the CPU',
    });
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([
      'GPU present but no Xorg nvidia driver (nvidia_drv.so): rendering in software (Xvfb)',
      'NVIDIA H100 80GB HBM3 has no NVENC: encoding with x264 on the CPU',
    ]);
  });

  it('logs the CPU-only decision as information, not as a problem', async () => {
    const { logger, lines } = capture();
    await probeMediaPaths({ gpu: CPU_ONLY, encoders: FFMPEG, logger });
    expect(lines().filter((line) => line.level >= 40)).toEqual([]);
    expect(lines().find((line) => line.msg === 'render path')?.reason).toMatch(/^CPU ONLY: /);
  });
});
