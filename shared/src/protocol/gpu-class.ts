import { z } from 'zod';

/**
 * What a node renders on: `cpu`, or a GPU model slug as edge-node derives it from
 * nvidia-smi (`NVIDIA GeForce RTX 4090` → `rtx-4090`, `NVIDIA H100 80GB HBM3` →
 * `h100-80gb-hbm3`), or what the operator set in GPU_CLASS.
 */
export const GpuClassSchema = z.string().regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and dashes');

/**
 * Whether a node of class `nodeClass` may offer a title that asks for `minGpuClass`:
 *
 * - absent or `cpu`: every node (the title renders in software);
 * - `gpu`: any node with a GPU (its class is not `cpu`);
 * - a model slug (`rtx-4090`, `h100`): a node of that model, or of a variant of it
 *   (`h100` is met by `h100-80gb-hbm3`).
 *
 * Model slugs are not ranked against each other: a table of which card beats which would
 * be a guess that goes stale, so a title that runs on several models asks for `gpu`.
 */
export function gpuClassMeets(nodeClass: string, minGpuClass: string | undefined): boolean {
  if (minGpuClass === undefined || minGpuClass === 'cpu') return true;
  if (nodeClass === 'cpu') return false;
  if (minGpuClass === 'gpu') return true;
  return nodeClass === minGpuClass || nodeClass.startsWith(`${minGpuClass}-`);
}
