import { bitsPerPixel, qualityLadder, type QualitySettings, type VideoFormat } from './quality-ladder.js';

/** One reading of the viewer's link, as mediasoup sees it from the sending side. */
export interface LinkReport {
  /** When it was read (ms, any monotonic clock; the controller only compares them). */
  atMs: number;
  /** mediasoup's transport-cc bandwidth estimate for the whole transport (bit/s). */
  availableBps?: number | undefined;
  /**
   * Fraction of the video packets the viewer lost, 0–1: from its receiver reports, or from the
   * share of packets it asked to have retransmitted (NACK), which comes sooner.
   */
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
  /**
   * Within `downIntervalMs` the bitrate falls to no less than this fraction of where it was: a
   * real collapse shows in the next reports too, while a single wild reading — the estimator
   * has said 44 kbit/s for a moment on a link carrying 2 Mbit/s — costs only a step.
   */
  maxDownStep?: number;
  downIntervalMs?: number;
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
  /**
   * After a cut, the bitrate that proved too much is remembered this long (or until the
   * estimate allows half as much again): the climb goes quickly to `kneeFraction` of it, then by
   * at most `kneeStep` at a time (where the link choked last time it is probed gently, so a
   * capped link sees a shallow saw, not one congestion — and one freeze risk — after every
   * quick climb).
   */
  congestionMemoryMs?: number;
  kneeFraction?: number;
  kneeStep?: number;
  /**
   * Loss at or above this cuts the bitrate to `lossDrain` of what still arrives (a link that
   * drops 30 % of 3 Mbit/s carries about 2.1): below the link, by enough to carry the
   * retransmissions the loss asks for and to drain the queue that built up …
   */
  lossCut?: number;
  lossDrain?: number;
  /** … and at or above this forbids any increase. */
  lossHold?: number;
  /** Least time between two cuts for loss (the loss of one moment is reported for a while). */
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
  maxDownStep: 0.5,
  downIntervalMs: 500,
  upBand: 0.1,
  upStep: 1.3,
  upIntervalMs: 1500,
  upWindowMs: 2000,
  holdAfterDecreaseMs: 3000,
  congestionMemoryMs: 10_000,
  kneeFraction: 0.9,
  kneeStep: 1.15,
  lossCut: 0.1,
  lossDrain: 0.65,
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
 * - Down fast: a target below the current bitrate (beyond a small band) applies at once, at
 *   most halving it per `downIntervalMs`; reported loss cuts to `lossDrain` of what still
 *   arrives, in one step however deep.
 * - Up slowly: only above a band, no sooner than `upIntervalMs` after the last change and
 *   `holdAfterDecreaseMs` after the last cut, never while loss is reported, following the
 *   lowest estimate of the last `upWindowMs` (a passing overshoot is ignored), by `upStep` or
 *   halfway to that target, whichever is more; for `congestionMemoryMs` after a cut, quickly
 *   only to `kneeFraction` of the bitrate that choked, then by `kneeStep`. (mediasoup's
 *   estimate itself rises only so far above what is sent, so the two climb together.)
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
  /** The bitrate when the current `downIntervalMs` window of decreases began, and when that was. */
  private downFromKbps = 0;
  private downWindowAt = Number.NEGATIVE_INFINITY;
  /** The bitrate the last congestion episode started from. */
  private congestedKbps = 0;
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
    if (lossCut && current * (1 - loss) * o.lossDrain < target) {
      target = current * (1 - loss) * o.lossDrain;
      reason = 'loss';
      this.lastLossCutAt = now;
    }
    const clamp = (kbps: number): number => Math.round(Math.min(o.maxKbps, Math.max(o.minKbps, kbps)));
    target = clamp(target);
    upTarget = clamp(Math.min(upTarget, target));

    let next = current;
    if (target < current * (1 - o.downBand)) {
      if (now - this.downWindowAt >= o.downIntervalMs) {
        this.downFromKbps = current;
        this.downWindowAt = now;
      }
      // Halving at most per window guards against a wild estimate; loss is counted from the
      // viewer's own packets, and each moment spent above the link adds to a freeze: all at once.
      const floor = reason === 'loss' ? o.minKbps : Math.max(Math.round(this.downFromKbps * o.maxDownStep), o.minKbps);
      next = Math.min(current, Math.max(target, floor));
      if (next < current) {
        if (now - this.lastDecreaseAt >= o.holdAfterDecreaseMs) this.congestedKbps = current;
        this.lastDecreaseAt = now;
      }
    } else if (
      (upTarget > current * (1 + o.upBand) || (upTarget === o.maxKbps && current < upTarget)) &&
      loss < o.lossHold &&
      now - this.lastChangeAt >= o.upIntervalMs &&
      now - this.lastDecreaseAt >= o.holdAfterDecreaseMs
    ) {
      // At least `upStep`, or halfway to what the estimate has held for the whole window …
      next = Math.round(Math.min(upTarget, Math.max(current * o.upStep, (current + upTarget) / 2)));
      // … but gently near where the link last choked.
      // (Forgotten early when even the lowest recent estimate leaves far more room: the link changed.)
      const knee = this.congestedKbps * o.kneeFraction;
      const remembered = now - this.lastDecreaseAt < o.congestionMemoryMs && upTarget < this.congestedKbps * 1.5;
      if (remembered && next > knee) {
        next = Math.round(Math.max(Math.min(next, knee), Math.min(next, current * o.kneeStep)));
      }
      if (next <= current) next = current;
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
