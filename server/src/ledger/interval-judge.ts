import type { UsageReceipt } from '@edgeplay/shared';
import { qualityFactorBps } from './quality-factor.js';

/*
 * When the player's and the edge's receipts for one slot agree, and what the slot earns.
 * The player is the witness: time is credited only as far as the player's interval
 * confirms it, and quality comes from what the player decoded. An edge that inflates its
 * frames or stretches its interval gains nothing; beyond the tolerances the slot is a
 * recorded mismatch and earns nothing.
 */

export const RECEIPT_TOLERANCES = {
  /** The intervals' overlap must be at least this share of the longer of the two. */
  minOverlapRatio: 0.8,
  /** The player may decode at most this many times the frames the edge sent (jitter at the edges)… */
  maxPlayerFramesRatio: 1.02,
  /** …plus this many frames, so a one-second final interval is not failed by one frame. */
  playerFramesSlack: 2,
  /** The player must decode at least this share of the frames the edge reports sending. */
  minPlayerFramesRatio: 0.8,
} as const;

export type Judgement =
  | { status: 'verified'; creditedMs: number; qualityBps: number }
  | { status: 'mismatch'; creditedMs: 0; qualityBps: 0; reason: string };

const mismatch = (reason: string): Judgement => ({ status: 'mismatch', creditedMs: 0, qualityBps: 0, reason });

export function judgeInterval(player: UsageReceipt, edge: UsageReceipt, titleFps: number): Judgement {
  const overlap = Math.max(0, Math.min(player.to, edge.to) - Math.max(player.from, edge.from));
  const longer = Math.max(player.to - player.from, edge.to - edge.from);
  if (overlap < RECEIPT_TOLERANCES.minOverlapRatio * longer) {
    return mismatch(`the intervals overlap ${Math.round((100 * overlap) / longer)} % (at least 80 % wanted)`);
  }
  const { maxPlayerFramesRatio, playerFramesSlack, minPlayerFramesRatio } = RECEIPT_TOLERANCES;
  if (player.frames > edge.frames * maxPlayerFramesRatio + playerFramesSlack) {
    return mismatch(`the player decoded ${player.frames} frames, more than the ${edge.frames} the edge sent`);
  }
  if (player.frames < edge.frames * minPlayerFramesRatio) {
    return mismatch(`the player decoded ${player.frames} of the ${edge.frames} frames the edge reports (under 80 %)`);
  }
  const fps = (player.frames * 1000) / (player.to - player.from);
  return {
    status: 'verified',
    creditedMs: overlap,
    qualityBps: qualityFactorBps({ fps, titleFps, rttMs: player.rttMs ?? edge.rttMs }),
  };
}
