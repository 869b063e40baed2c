import { z } from 'zod';

const percent = z.number().min(0).max(100);
const mib = z.number().int().nonnegative();

/**
 * One NVIDIA GPU as the edge node reports it. Readings that nvidia-smi gives as "N/A" (or
 * "[Not Supported]") are absent rather than guessed: a GPU in MIG mode has no whole-GPU
 * utilization, a vGPU guest may not see temperature.
 */
export const GpuInfoSchema = z.object({
  /** nvidia-smi's index: the position in its listing (PCI bus order), not the /dev/nvidiaN minor number. */
  index: z.number().int().nonnegative(),
  /** Stable across reboots and index changes; what to pin work to. */
  uuid: z.string().min(1),
  /** The product name, e.g. "NVIDIA GeForce RTX 4090". */
  model: z.string().min(1),
  vramTotalMiB: mib,
  vramUsedMiB: mib.optional(),
  driverVersion: z.string().min(1),
  utilizationPercent: percent.optional(),
  temperatureC: z.number().optional(),
  encoder: z.object({
    /** Whether this GPU can run NVENC sessions (see gpu-probe.ts for the rule). */
    supported: z.boolean(),
    /** Active NVENC sessions; 0 when unsupported. */
    sessions: z.number().int().nonnegative(),
    /** NVENC engine load; 0 when unsupported, absent when the driver says N/A. */
    utilizationPercent: percent.optional(),
  }),
});

export type GpuInfo = z.infer<typeof GpuInfoSchema>;
