import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { gpuClassOf, probeMachine } from '../src/telemetry/machine-probe.js';

const logger = pino({ level: 'silent' });
const FIXTURES = join(import.meta.dirname, 'fixtures', 'nvidia-smi');

describe('machine probe', () => {
  const originalPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  it.each([
    ['NVIDIA GeForce RTX 4090', 'rtx-4090'],
    ['NVIDIA L4', 'l4'],
    ['NVIDIA H100 80GB HBM3', 'h100-80gb-hbm3'],
    ['Tesla T4', 't4'],
  ])('names the GPU class of %s as %s', (model, expected) => {
    expect(gpuClassOf(model)).toBe(expected);
  });

  it('flags a machine without nvidia-smi as CPU only', async () => {
    process.env.PATH = '/usr/bin:/bin';
    const probe = await probeMachine(logger);
    expect(probe.gpu.kind).toBe('cpu-only');
    expect(probe.gpuClass).toBe('cpu');
    expect(probe.encoders.kind === 'ffmpeg' && probe.encoders.encoders.map((e) => e.name)).toContain('libx264');
  });

  it('takes the GPU class from nvidia-smi, unless the operator set one', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'edgeplay-fake-nvidia-smi-'));
    await writeFile(join(bin, 'nvidia-smi'), `#!/bin/sh\ncat '${join(FIXTURES, 'rtx-4090.xml')}'\n`);
    await chmod(join(bin, 'nvidia-smi'), 0o755);
    process.env.PATH = `${bin}:${originalPath}`;
    expect((await probeMachine(logger)).gpuClass).toBe('rtx-4090');
    expect((await probeMachine(logger, 'rtx-4090-oc')).gpuClass).toBe('rtx-4090-oc');
  });
});
