import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chooseEncodePath, testNvencEncode } from '../src/runtime/encode-path.js';
import { probeMediaPaths } from '../src/runtime/media-paths.js';
import { videoCodecArgs } from '../src/runtime/ffmpeg-video.js';
import type { EncoderProbe } from '../src/telemetry/encoder-probe.js';
import { parseNvidiaSmiXml, type GpuProbe } from '../src/telemetry/gpu-probe.js';

const silent = pino({ level: 'silent' });
const gpusOf = (name: string): Promise<GpuProbe> =>
  parseNvidiaSmiXml(readFileSync(join(import.meta.dirname, 'fixtures', 'nvidia-smi', name), 'utf8'), silent);
const ffmpegWith = (...names: string[]): EncoderProbe => ({
  kind: 'ffmpeg',
  encoders: names.map((name) => ({
    name,
    codec: 'h264',
    backend: name.endsWith('nvenc') ? 'nvenc' : 'software',
  })),
});
const DEBIAN_FFMPEG = ffmpegWith('libx264', 'libvpx', 'h264_nvenc', 'hevc_nvenc');
const hasNvidiaSmi = (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, 'nvidia-smi')));
const CPU_ONLY: GpuProbe = { kind: 'cpu-only', reason: 'nvidia-smi was not found' };

describe('choosing the encoder', () => {
  it('encodes on NVENC when the GPU has it and ffmpeg lists h264_nvenc', async () => {
    expect(chooseEncodePath(await gpusOf('l4-x2.xml'), DEBIAN_FFMPEG)).toEqual({
      encodePath: 'h264_nvenc',
      reason: 'encoding with h264_nvenc on NVIDIA L4',
    });
    expect(chooseEncodePath(await gpusOf('rtx-4090.xml'), DEBIAN_FFMPEG).encodePath).toBe('h264_nvenc');
  });

  it('encodes with x264 on an H100, which renders but has no NVENC, even though ffmpeg lists it', async () => {
    expect(chooseEncodePath(await gpusOf('h100-sxm.xml'), DEBIAN_FFMPEG)).toEqual({
      encodePath: 'libx264',
      reason: 'NVIDIA H100 80GB HBM3 has no NVENC: encoding with x264 on the CPU',
    });
  });

  it('encodes with x264 on a CPU-only machine whose ffmpeg lists h264_nvenc (Debian builds it in)', () => {
    expect(chooseEncodePath(CPU_ONLY, DEBIAN_FFMPEG)).toEqual({
      encodePath: 'libx264',
      reason: 'no NVIDIA GPU: encoding with x264 on the CPU',
    });
  });

  it('encodes with x264 when the GPU has NVENC but ffmpeg was built without it', async () => {
    const choice = chooseEncodePath(await gpusOf('rtx-4090.xml'), ffmpegWith('libx264'));
    expect(choice.encodePath).toBe('libx264');
    expect(choice.reason).toContain('built without h264_nvenc');
    const noFfmpeg = chooseEncodePath(await gpusOf('rtx-4090.xml'), { kind: 'unavailable', reason: 'gone' });
    expect(noFfmpeg.encodePath).toBe('libx264');
  });
});

describe('proving NVENC with a one-frame encode', () => {
  // On a machine with an NVIDIA driver this encode may well work; the claim is about machines without.
  it.skipIf(hasNvidiaSmi)('fails without an NVIDIA driver, with ffmpeg’s reason', async () => {
    const test = await testNvencEncode();
    expect(test.ok).toBe(false);
    if (test.ok) return;
    // Debian's ffmpeg dlopens the driver's libraries; without a driver they are missing.
    expect(test.reason).toMatch(
      /^a one-frame h264_nvenc encode failed: \[h264_nvenc\] Cannot load lib(cuda|nvidia-encode)/,
    );
  });

  it('reports a missing ffmpeg rather than throwing', async () => {
    expect(await testNvencEncode({ command: 'no-such-ffmpeg-edgeplay' })).toEqual({
      ok: false,
      reason: 'no-such-ffmpeg-edgeplay was not found',
    });
  });

  it('falls back to x264 at start when the rule says NVENC but the test encode fails', async () => {
    const paths = await probeMediaPaths({
      gpu: await gpusOf('l4-x2.xml'),
      encoders: DEBIAN_FFMPEG,
      logger: silent,
      nvenc: { command: 'no-such-ffmpeg-edgeplay' },
    });
    expect(paths.encode).toEqual({
      encodePath: 'libx264',
      reason: 'no-such-ffmpeg-edgeplay was not found: encoding with x264 on the CPU',
    });
  });
});

describe('encoder arguments', () => {
  const pairs = (args: string[]): Map<string, string> => {
    const map = new Map<string, string>();
    for (let i = 0; i < args.length - 1; i += 2) map.set(args[i] ?? '', args[i + 1] ?? '');
    return map;
  };

  it('sends the same kind of stream from x264 and NVENC: baseline, CBR, a keyframe a second, no B-frames', () => {
    for (const encoder of ['libx264', 'h264_nvenc'] as const) {
      const args = pairs(videoCodecArgs(encoder, 60, 2800));
      expect(args.get('-c:v')).toBe(encoder);
      expect(args.get('-profile:v')).toBe('baseline');
      expect(args.get('-g')).toBe('60');
      expect([args.get('-b:v'), args.get('-maxrate'), args.get('-bufsize')]).toEqual(['2800k', '2800k', '933k']);
    }
  });

  it('tunes x264 for latency and converts to 4:2:0 on the CPU', () => {
    const args = pairs(videoCodecArgs('libx264', 30, 1000));
    expect([args.get('-preset'), args.get('-tune'), args.get('-pix_fmt')]).toEqual([
      'ultrafast',
      'zerolatency',
      'yuv420p',
    ]);
  });

  it('runs NVENC at its fastest preset with no frame delay, and leaves the colour conversion to the GPU', () => {
    const args = pairs(videoCodecArgs('h264_nvenc', 60, 2800));
    expect([args.get('-preset'), args.get('-tune'), args.get('-zerolatency'), args.get('-delay')]).toEqual([
      'p1',
      'ull',
      '1',
      '0',
    ]);
    expect([args.get('-rc'), args.get('-bf')]).toEqual(['cbr', '0']);
    expect(args.has('-pix_fmt')).toBe(false);
  });
});
