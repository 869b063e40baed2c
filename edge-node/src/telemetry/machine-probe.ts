import type { Logger } from 'pino';
import type { EdgeCapabilities } from '@edgeplay/shared';
import { probeEncoders, type EncoderProbe } from './encoder-probe.js';
import { probeGpus, type GpuProbe } from './gpu-probe.js';
import { probeMediaPaths, type MediaPaths } from '../runtime/media-paths.js';

export interface MachineProbe {
  gpu: GpuProbe;
  encoders: EncoderProbe;
  /** What the node renders on, for placement and the rate card: a GPU model slug or "cpu". */
  gpuClass: string;
  /** How sessions render (Xorg on the GPU, or Xvfb) and encode (NVENC or x264), and why. */
  paths: MediaPaths;
}

/** "NVIDIA GeForce RTX 4090" → "rtx-4090"; "NVIDIA H100 80GB HBM3" → "h100-80gb-hbm3". */
export function gpuClassOf(model: string): string {
  const slug = model
    .toLowerCase()
    .replace(/\b(nvidia|geforce|tesla|quadro)\b/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return slug || 'gpu';
}

/** The capabilities an edge declares when it joins. */
export function capabilitiesOf(machine: MachineProbe): EdgeCapabilities {
  return {
    gpus: machine.gpu.kind === 'nvidia' ? machine.gpu.gpus : [],
    ...(machine.gpu.kind === 'cpu-only' ? { cpuOnlyReason: machine.gpu.reason.slice(0, 300) } : {}),
    encoders: machine.encoders.kind === 'ffmpeg' ? machine.encoders.encoders.map((encoder) => encoder.name) : [],
    renderPath: machine.paths.render.renderPath,
    encodePath: machine.paths.encode.encodePath,
  };
}

/** What this machine offers, probed once at start; a machine without nvidia-smi is CPU-only, and says so. */
export async function probeMachine(logger: Logger, configuredGpuClass?: string): Promise<MachineProbe> {
  const [gpu, encoders] = await Promise.all([probeGpus({ logger }), probeEncoders()]);
  const first = gpu.kind === 'nvidia' ? gpu.gpus[0] : undefined;
  const gpuClass = configuredGpuClass ?? (first ? gpuClassOf(first.model) : 'cpu');
  if (gpu.kind === 'cpu-only') {
    logger.warn({ reason: gpu.reason }, 'CPU ONLY: no NVIDIA GPU found; titles render in software (Xvfb)');
  } else {
    logger.info(
      { gpus: gpu.gpus.map((g) => ({ model: g.model, vramTotalMiB: g.vramTotalMiB, nvenc: g.encoder.supported })) },
      'GPUs found',
    );
  }
  logger.info(
    { gpuClass, encoders: encoders.kind === 'ffmpeg' ? encoders.encoders.map((e) => e.name) : encoders.reason },
    'machine probed',
  );
  const paths = await probeMediaPaths({ gpu, encoders, logger });
  return { gpu, encoders, gpuClass, paths };
}
