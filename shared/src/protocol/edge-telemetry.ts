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
  uuid: z.string().min(1).max(128),
  /** The product name, e.g. "NVIDIA GeForce RTX 4090". */
  model: z.string().min(1).max(128),
  vramTotalMiB: mib,
  vramUsedMiB: mib.optional(),
  driverVersion: z.string().min(1).max(64),
  utilizationPercent: percent.optional(),
  temperatureC: z.number().min(-50).max(150).optional(),
  /** nvidia-smi's PCI bus id, e.g. "00000000:19:00.0": which GPU an Xorg display is opened on. */
  pciBusId: z
    .string()
    .regex(/^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/)
    .optional(),
  encoder: z.object({
    /** Whether this GPU can run NVENC sessions (see edge-node's gpu-probe.ts for the rule). */
    supported: z.boolean(),
    /** Active NVENC sessions; 0 when unsupported. */
    sessions: z.number().int().nonnegative(),
    /** NVENC engine load; 0 when unsupported, absent when the driver says N/A. */
    utilizationPercent: percent.optional(),
  }),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

/**
 * Where a session's picture is drawn: on an NVIDIA GPU through Xorg and the NVIDIA driver,
 * or in software on Xvfb (a CPU-only node, or a GPU node without the NVIDIA X driver).
 */
export const RenderPathSchema = z.enum(['xorg-nvidia', 'xvfb']);
export type RenderPath = z.infer<typeof RenderPathSchema>;

/** How a session's picture is encoded: on the GPU's NVENC engine, or with x264 on the CPU. */
export const EncodePathSchema = z.enum(['h264_nvenc', 'libx264']);
export type EncodePath = z.infer<typeof EncodePathSchema>;

/** What an edge declares when it joins: its GPUs (none: CPU only, clearly flagged) and ffmpeg's encoders. */
export const EdgeCapabilitiesSchema = z.strictObject({
  gpus: z.array(GpuInfoSchema).max(16),
  /** Why the node has no usable GPU, when it has none. */
  cpuOnlyReason: z.string().max(300).optional(),
  /** ffmpeg encoder names, e.g. libx264, h264_nvenc. */
  encoders: z.array(z.string().regex(/^[a-z0-9_-]{1,32}$/)).max(32),
  /** How this node's sessions render and encode (a session whose Xorg fails renders on Xvfb). */
  renderPath: RenderPathSchema.optional(),
  encodePath: EncodePathSchema.optional(),
});
export type EdgeCapabilities = z.infer<typeof EdgeCapabilitiesSchema>;
