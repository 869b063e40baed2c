import {
  FIRST_RECEIPT_MIN_MS,
  MIN_RECEIPT_MS,
  RECEIPT_PERIOD_MS,
  RECEIPT_SLOT_SLACK_MS,
  type ReceiptSide,
  type UsageReceipt,
} from './receipt.js';

/** Running totals one side reads from its WebRTC statistics, at `at` (broker-synchronised ms). */
export interface MeterSample {
  at: number;
  /** Frames decoded (player) or sent (edge) since the stream began; only ever grows. */
  frames: number;
  /** Bytes received (player) or sent (edge) since the stream began. */
  bytes: number;
  rttMs: number | null;
}

export interface ReceiptMeterOptions {
  side: ReceiptSide;
  sessionId: string;
  edgeId: string;
  /** The ticket's iat: slot k is [anchorAt + k·period, anchorAt + (k+1)·period). */
  anchorAt: number;
  periodMs?: number;
}

/**
 * Turns one side's running totals into usage receipts, one per slot, the same way on
 * the page and on the edge: `begin` when the picture starts flowing, `take` at every slot
 * boundary (`nextDueAt`) and once more at the end (`final`). A first partial slot shorter
 * than FIRST_RECEIPT_MIN_MS is not reported (the two sides would disagree on it); a last
 * one is, from MIN_RECEIPT_MS up. Pure: no clock, no timers, no I/O.
 */
export class ReceiptMeter {
  private readonly periodMs: number;
  private last: MeterSample | undefined;
  private lastSeq = -1;
  private first = true;

  constructor(private readonly options: ReceiptMeterOptions) {
    this.periodMs = options.periodMs ?? RECEIPT_PERIOD_MS;
  }

  get begun(): boolean {
    return this.last !== undefined;
  }

  /** The baseline: the moment the stream started flowing on this side. Later calls are ignored. */
  begin(sample: MeterSample): void {
    this.last ??= sample;
  }

  /** The next slot boundary after the last sample; undefined before begin. */
  nextDueAt(): number | undefined {
    if (!this.last) return undefined;
    const { anchorAt } = this.options;
    return anchorAt + (Math.floor((this.last.at - anchorAt) / this.periodMs) + 1) * this.periodMs;
  }

  /**
   * The receipt for the interval since the last sample, or undefined when there is none
   * to report (too short, too long after a stalled timer, or not begun). The sample
   * becomes the new baseline either way, so the next interval starts where this one ended.
   */
  take(sample: MeterSample, final = false): UsageReceipt | undefined {
    const last = this.last;
    if (!last) return undefined;
    this.last = sample;
    const wasFirst = this.first;
    this.first = false;
    const length = sample.at - last.at;
    const shortest = wasFirst && !final ? FIRST_RECEIPT_MIN_MS : MIN_RECEIPT_MS;
    if (length < shortest || length > this.periodMs + RECEIPT_SLOT_SLACK_MS) return undefined;
    // The slot holding the interval's midpoint: robust to a timer a little early or late.
    const seq = Math.floor((last.at + length / 2 - this.options.anchorAt) / this.periodMs);
    if (seq <= this.lastSeq || seq < 0) return undefined;
    this.lastSeq = seq;
    const { side, sessionId, edgeId } = this.options;
    return {
      v: 1,
      side,
      sessionId,
      edgeId,
      seq,
      from: Math.round(last.at),
      to: Math.round(sample.at),
      // Counters that went backwards (a stream that restarted) count from zero.
      frames: Math.max(0, Math.round(sample.frames - last.frames)),
      bitrateKbps: Math.max(0, Math.round(((sample.bytes - last.bytes) * 8) / length)),
      rttMs: sample.rttMs === null ? null : Math.min(60_000, Math.max(0, Math.round(sample.rttMs))),
    };
  }
}
