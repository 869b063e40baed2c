/*
 * How good a verified interval was, as a factor on its pay, in basis points (10,000 = 1.0).
 * From what the player saw: decoded fps against the title's fps, and the round trip.
 *
 *   fps part: 1.0 at ≥ 90 % of the title's fps, falling linearly to 0 at 0 fps;
 *   RTT part: 1.0 at ≤ 50 ms, falling linearly to 0.5 at 250 ms, 0.5 beyond (and when unknown);
 *   factor   = fps part × RTT part, never below QUALITY_FLOOR_BPS — except that an interval
 *              in which the player decoded under 1 fps played nothing and earns 0.
 */

export const FULL_QUALITY_BPS = 10_000;
/** The least a verified interval in which the picture moved is worth: 10 %. */
export const QUALITY_FLOOR_BPS = 1_000;
/** Fraction of the title's fps that counts as full frame rate. */
export const FULL_FPS_RATIO = 0.9;
export const FULL_RTT_MS = 50;
export const WORST_RTT_MS = 250;
/** What the RTT part falls to at WORST_RTT_MS and beyond, and when no side measured it. */
export const WORST_RTT_FACTOR = 0.5;
/** Below this the picture did not move: no pay. */
export const MIN_PLAYING_FPS = 1;

export interface QualityInput {
  /** Frames the player decoded per second over the interval. */
  fps: number;
  /** The title's frame rate, as its manifest states it. */
  titleFps: number;
  /** The player's measured round trip (the edge's when the player has none), null when neither has one. */
  rttMs: number | null;
}

export function qualityFactorBps({ fps, titleFps, rttMs }: QualityInput): number {
  if (!(fps >= MIN_PLAYING_FPS) || !(titleFps > 0)) return 0;
  const fpsPart = Math.min(1, fps / (FULL_FPS_RATIO * titleFps));
  let rttPart = WORST_RTT_FACTOR;
  if (rttMs !== null && rttMs <= FULL_RTT_MS) rttPart = 1;
  else if (rttMs !== null && rttMs < WORST_RTT_MS) {
    rttPart = 1 - ((1 - WORST_RTT_FACTOR) * (rttMs - FULL_RTT_MS)) / (WORST_RTT_MS - FULL_RTT_MS);
  }
  return Math.max(QUALITY_FLOOR_BPS, Math.floor(fpsPart * rttPart * FULL_QUALITY_BPS));
}
