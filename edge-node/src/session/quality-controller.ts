import { bitsPerPixel, qualityLadder, type QualitySettings, type VideoFormat } from './quality-ladder.js';

/** One reading of the viewer's link, as mediasoup sees it from the sending side. */
export interface LinkReport {
  /** When it was read (ms, any monotonic clock; the controller only compares them). */
  atMs: number;
  /** mediasoup's transport-cc bandwidth estimate for the whole transport (bit/s). */
  availableBps?: number | undefined;
  /** Fraction of the video packets the viewer's last receiver report counted lost, 0–1. */
  fractionLost?: number | undefined;
}

export interface QualityControllerOptions {
  /** The title's own format: the top of the ladder. */
  title: VideoFormat;
  /** The most the encoder may spend (the title's full-quality budget) and the least. */
  maxKbps: number;
  minKbps: number;
  /** Bitrate of other streams on the same transport (sound), left out of the estimate. */
  reservedKbps?: number;
  /** Fraction of the estimate the video may use (room for RTP overhead, retransmissions, error). */
  headroom?: number;
  /** A drop smaller than this fraction is ignored (hysteresis). */
  downBand?: number;
  /** A rise smaller than this fraction is ignored (hysteresis). */
  upBand?: number;
  /** An increase multiplies the bitrate by this, or goes halfway to the target if that is more. */
  upStep?: number;
  /** Time between two increases, and from a decrease to the next increase. */
  upIntervalMs?: number;
  /**
   * An increase follows the lowest estimate of this recent window, not the latest: the
   * estimator overshoots now and then (a probe that measured a burst), and a rise that is
   * real lasts.
   */
  upWindowMs?: number;
  holdAfterDecreaseMs?: number;
  /** Receiver-reported loss at or above this cuts the bitrate (by half the loss) … */
  lossCut?: number;
  /** … and at or above this forbids any increase. */
  lossHold?: number;
  /** Least time between two cuts for loss (receiver reports come about once a second). */
  lossIntervalMs?: number;
  /** Below this many bits per pixel per frame the picture moves down a rung (smaller or slower) … */
  minBitsPerPixel?: number;
  /** … and it moves back up only when the rung above would get at least this many. */
  upBitsPerPixel?: number;
  /** Time a rung is kept before the next rung up (each change costs a keyframe). */
  rungHoldMs?: number;
}

export interface QualityDecision {
  settings: QualitySettings;
  /** Why it changed, for logs: the estimate fell, loss was reported, or the link has room again. */
  reason: 'estimate' | 'loss' | 'recovery';
  /** The bitrate the link report alone would allow, clamped (kbit/s). */
  targetKbps: number;
}

const DEFAULTS = {
  reservedKbps: 0,
  headroom: 0.85,
  downBand: 0.05,
  upBand: 0.1,
  upStep: 1.3,
  upIntervalMs: 1500,
  upWindowMs: 2000,
  holdAfterDecreaseMs: 3000,
  lossCut: 0.1,
  lossHold: 0.02,
  lossIntervalMs: 1000,
  minBitsPerPixel: 0.04,
  upBitsPerPixel: 0.065,
  rungHoldMs: 8000,
} satisfies Partial<QualityControllerOptions>;

/**
 * Decides the encoder's bitrate and format from what mediasoup reports about the viewer's
 * link. Pure: it keeps its own state but touches nothing; the session feeds it reports and
 * applies what it returns.
 *
 * - The target is a fraction (`headroom`) of the bandwidth estimate, less the sound's share,
 *   clamped to [min, max].
 * - Down fast: a target below the current bitrate (beyond a small band) applies at once,
 *   and reported loss cuts further, by half the lost fraction.
 * - Up slowly: only above a band, no sooner than `upIntervalMs` after the last change and
 *   `holdAfterDecreaseMs` after the last cut, never while loss is reported, and by at most
 *   `upStep` at a time. (mediasoup's estimate itself rises only so far above what is sent,
 *   so the two climb together.)
 * - A ladder of formats: when the bitrate leaves too few bits per pixel for the current size
 *   and rate, the encoder drops to a smaller size (then a lower rate); it climbs back one rung
 *   at a time, when the rung above would get clearly more than the minimum, and not sooner
 *   than `rungHoldMs` after the last change.
 */
export class QualityController {
  private readonly options: Required<QualityControllerOptions>;
  private readonly ladder: VideoFormat[];
  private rung = 0;
  private bitrateKbps: number;
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private lastRungChangeAt = Number.NEGATIVE_INFINITY;
  private lastLossCutAt = Number.NEGATIVE_INFINITY;
  private readonly estimates: { at: number; kbps: number }[] = [];

  constructor(options: QualityControllerOptions) {
    this.options = { ...DEFAULTS, ...options };
    const { minKbps, maxKbps } = this.options;
    if (!(minKbps > 0 && minKbps <= maxKbps))
      throw new RangeError(`need 0 < minKbps <= maxKbps (${minKbps}, ${maxKbps})`);
    this.ladder = qualityLadder(options.title);
    this.bitrateKbps = maxKbps;
  }

  /** What the encoder should be sending now. */
  get settings(): QualitySettings {
    const format = this.ladder[this.rung] ?? this.options.title;
    return { ...format, bitrateKbps: this.bitrateKbps };
  }

  /** Takes one report; returns the new settings when they change, otherwise undefined. */
  update(report: LinkReport): QualityDecision | undefined {
    const o = this.options;
    const now = report.atMs;
    const loss = report.fractionLost ?? 0;
    if (report.availableBps === undefined && loss < o.lossCut) return undefined;

    const current = this.bitrateKbps;
    const budget = (kbps: number): number => kbps * o.headroom - o.reservedKbps;
    let target = o.maxKbps;
    let upTarget = o.maxKbps;
    if (report.availableBps !== undefined) {
      this.estimates.push({ at: now, kbps: report.availableBps / 1000 });
      while ((this.estimates[0]?.at ?? now) < now - o.upWindowMs) this.estimates.shift();
      target = budget(report.availableBps / 1000);
      upTarget = budget(Math.min(...this.estimates.map((e) => e.kbps)));
    }
    let reason: QualityDecision['reason'] = 'estimate';
    // One receiver report is read by several polls: cut for it once.
    const lossCut = loss >= o.lossCut && now - this.lastLossCutAt >= o.lossIntervalMs;
    if (lossCut && current * (1 - loss / 2) < target) {
      target = current * (1 - loss / 2);
      reason = 'loss';
      this.lastLossCutAt = now;
    }
    const clamp = (kbps: number): number => Math.round(Math.min(o.maxKbps, Math.max(o.minKbps, kbps)));
    target = clamp(target);
    upTarget = clamp(Math.min(upTarget, target));

    let next = current;
    if (target < current * (1 - o.downBand)) {
      next = target;
      this.lastDecreaseAt = now;
    } else if (
      (upTarget > current * (1 + o.upBand) || (upTarget === o.maxKbps && current < upTarget)) &&
      loss < o.lossHold &&
      now - this.lastChangeAt >= o.upIntervalMs &&
      now - this.lastDecreaseAt >= o.holdAfterDecreaseMs
    ) {
      // At least `upStep`, or halfway to what the estimate has held for the whole window.
      next = Math.round(Math.min(upTarget, Math.max(current * o.upStep, (current + upTarget) / 2)));
      reason = 'recovery';
    }

    const rung = this.chooseRung(next, now);
    if (next === current && rung === this.rung) return undefined;
    this.bitrateKbps = next;
    this.lastChangeAt = now;
    if (rung !== this.rung) {
      this.rung = rung;
      this.lastRungChangeAt = now;
    }
    return { settings: this.settings, reason, targetKbps: target };
  }

  private chooseRung(bitrateKbps: number, now: number): number {
    const o = this.options;
    const last = this.ladder.length - 1;
    let rung = this.rung;
    const bpp = (index: number): number => {
      const format = this.ladder[index];
      return format ? bitsPerPixel(format, bitrateKbps) : 0;
    };
    // Down as many rungs as it takes, at once: a starved picture is worse than a keyframe.
    while (rung < last && bpp(rung) < o.minBitsPerPixel) rung += 1;
    if (rung !== this.rung) return rung;
    // Up one rung, only with clear room and after the last change has settled.
    if (rung > 0 && bpp(rung - 1) >= o.upBitsPerPixel && now - this.lastRungChangeAt >= o.rungHoldMs) return rung - 1;
    return rung;
  }
}
