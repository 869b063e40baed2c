import type { EncodePath } from '@edgeplay/shared';
import { runBoundedCommand } from '../telemetry/bounded-command.js';
import type { EncoderProbe } from '../telemetry/encoder-probe.js';
import type { GpuProbe } from '../telemetry/gpu-probe.js';

export type { EncodePath };

export interface EncodeChoice {
  encodePath: EncodePath;
  /** Why, in words for the log and `doctor`. */
  reason: string;
}

/**
 * The pure rule: H.264 on NVENC when ffmpeg was built with h264_nvenc AND a GPU of this
 * machine has an NVENC engine (hasNvenc in gpu-probe.ts: an H100, H200 or A100 has none);
 * otherwise x264 on the CPU. Debian's ffmpeg lists h264_nvenc on machines with no NVIDIA GPU
 * at all, so the listing alone decides nothing.
 */
export function chooseEncodePath(gpu: GpuProbe, encoders: EncoderProbe): EncodeChoice {
  const listed = encoders.kind === 'ffmpeg' ? encoders.encoders.map((encoder) => encoder.name) : [];
  if (gpu.kind === 'cpu-only') {
    return { encodePath: 'libx264', reason: 'no NVIDIA GPU: encoding with x264 on the CPU' };
  }
  const withNvenc = gpu.gpus.find((info) => info.encoder.supported);
  if (withNvenc === undefined) {
    const models = [...new Set(gpu.gpus.map((info) => info.model))].join(', ');
    return { encodePath: 'libx264', reason: `${models} has no NVENC: encoding with x264 on the CPU` };
  }
  if (!listed.includes('h264_nvenc')) {
    return {
      encodePath: 'libx264',
      reason: `${withNvenc.model} has NVENC but this ffmpeg was built without h264_nvenc: encoding with x264 on the CPU`,
    };
  }
  return { encodePath: 'h264_nvenc', reason: `encoding with h264_nvenc on ${withNvenc.model}` };
}

export type NvencTest = { ok: true } | { ok: false; reason: string };

export interface NvencTestOptions {
  /** The ffmpeg program (default: found on PATH). */
  command?: string;
  timeoutMs?: number;
}

/**
 * The proof that NVENC works here: encode one small frame with h264_nvenc. A listed encoder
 * and a GPU with an NVENC engine still fail without the driver's encode library
 * (libnvidia-encode) or when the driver and ffmpeg's NVENC API versions disagree.
 */
export async function testNvencEncode(options: NvencTestOptions = {}): Promise<NvencTest> {
  const command = options.command ?? 'ffmpeg';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', 'color=c=black:s=256x144:r=30'];
  const outcome = await runBoundedCommand(
    command,
    [...args, '-frames:v', '1', '-c:v', 'h264_nvenc', '-f', 'null', '-'],
    { timeoutMs },
  );
  switch (outcome.kind) {
    case 'not-found':
      return { ok: false, reason: `${command} was not found` };
    case 'timed-out':
      return { ok: false, reason: `a one-frame h264_nvenc encode did not finish within ${timeoutMs} ms` };
    case 'failed':
      return { ok: false, reason: `could not run ${command}: ${outcome.message}` };
    case 'exited': {
      if (outcome.code === 0) return { ok: true };
      const said = outcome.stderr
        .trim()
        .split('\n')
        .find((line) => line.trim() !== '');
      return {
        ok: false,
        reason: `a one-frame h264_nvenc encode failed${
          said
            ? `: ${said
                .replace(/ @ 0x[0-9a-f]+/, '')
                .trim()
                .slice(0, 200)}`
            : ` (exit ${outcome.code ?? outcome.signal})`
        }`,
      };
    }
  }
}
