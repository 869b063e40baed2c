import type { Logger } from 'pino';
import { probeMediaPaths, type MediaPaths } from '../runtime/media-paths.js';
import { findOnPath, type LocateXorgOptions } from '../runtime/render-path.js';
import { probeEncoders, type EncoderProbe } from '../telemetry/encoder-probe.js';
import { probeGpus, type GpuProbe } from '../telemetry/gpu-probe.js';

/** What the machine checks look at, probed once, the same way `edge-node start` probes. */
export interface MachineFacts {
  /** Where nvidia-smi is, when it is on PATH at all. */
  nvidiaSmi: string | undefined;
  gpu: GpuProbe;
  encoders: EncoderProbe;
  /** The render and encode paths `start` would choose here (after its NVENC test encode). */
  paths: MediaPaths;
}

export async function gatherMachineFacts(logger: Logger, locate?: LocateXorgOptions): Promise<MachineFacts> {
  const [nvidiaSmi, gpu, encoders] = await Promise.all([
    findOnPath('nvidia-smi'),
    probeGpus({ logger }),
    probeEncoders(),
  ]);
  const paths = await probeMediaPaths({ gpu, encoders, logger, ...(locate ? { locate } : {}) });
  return { nvidiaSmi, gpu, encoders, paths };
}
