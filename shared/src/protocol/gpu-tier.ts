import { z } from 'zod';

/*
 * A coarse ladder of what a machine can render, lowest first. An edge declares its
 * `gpuClass` as a model slug ("rtx-4090", "h100-80gb-hbm3", "cpu"); the broker puts it on
 * this ladder, and a title may ask for a minimum rung (`minGpuTier` in its manifest).
 * Models are placed by their 3D rendering and video-encoding ability for games, not by
 * compute: data-centre compute cards (A100, H100, H200) render through few graphics units
 * and H100/H200 have no NVENC, so they sit on `entry`. The table is a judgement, kept in
 * this one place; a model it does not name is `entry` (a GPU, nothing proven beyond that).
 */
export const GPU_TIERS = ['cpu', 'entry', 'mid', 'high', 'top'] as const;

export const GpuTierSchema = z.enum(GPU_TIERS);
export type GpuTier = z.infer<typeof GpuTierSchema>;

/** Highest rung first, so "rtx-4070-ti" is found as high before "rtx-4070" as mid. */
const MODEL_TIERS: readonly [GpuTier, RegExp][] = [
  ['top', /^rtx-(4090|5090|5080|6000-ada|pro-6000)(-|$)/],
  ['top', /^l40s?(-|$)/],
  ['high', /^rtx-(4080|4070-ti|3090|3080|5070-ti|a6000)(-|$)/],
  ['high', /^(a10|a40)(-|$)/],
  ['mid', /^rtx-(4070|4060-ti|3070|3060-ti|2080|5070|5060-ti|a4000|a4500|a5000)(-|$)/],
  ['mid', /^l4(-|$)/],
];

const RANKS = Object.fromEntries(GPU_TIERS.map((tier, rank) => [tier, rank])) as Record<GpuTier, number>;

/** The rung of a tier: 0 for cpu, one more per step up. */
export function gpuTierRank(tier: GpuTier): number {
  return RANKS[tier];
}

/** Where an edge's declared gpuClass stands on the ladder: "cpu" → cpu, a known model by the table, any other GPU → entry. */
export function gpuTierOf(gpuClass: string): GpuTier {
  if (gpuClass === 'cpu') return 'cpu';
  for (const [tier, pattern] of MODEL_TIERS) if (pattern.test(gpuClass)) return tier;
  return 'entry';
}
