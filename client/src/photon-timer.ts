/**
 * Measures input-to-photon latency in the page, the way a player experiences it: from the
 * moment an input leaves the page to the first presented video frame that clearly changed.
 *
 * Each presented frame (requestVideoFrameCallback) is shrunk to a 32×18 thumbnail and
 * compared with the previous one. A game animates by itself, so "clearly" is relative:
 * the reaction is the first frame, within `windowMs` after the input, whose change exceeds
 * four times the median change of the frames just before the input (and a small floor).
 * An input that no frame clearly answers yields no sample — the overlay shows the last
 * good figures rather than a guess.
 */
export interface PhotonSample {
  /** performance.now() when the input was sent. */
  sentAt: number;
  /** ms from sending to the reacting frame's expected display time. */
  latencyMs: number;
}

const THUMB_W = 32;
const THUMB_H = 18;
/** Mean absolute luma change (0-255) below which a frame counts as unchanged. */
const MIN_CHANGE = 3;
const BASELINE_FRAMES = 30;

export class PhotonTimer {
  private readonly canvas = document.createElement('canvas');
  private readonly context: CanvasRenderingContext2D | null;
  private previous: Uint8ClampedArray | undefined;
  private readonly recentChanges: number[] = [];
  private pending: { sentAt: number; threshold: number } | undefined;
  private callbackId: number | undefined;
  private readonly samples: PhotonSample[] = [];

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly windowMs = 1000,
  ) {
    this.canvas.width = THUMB_W;
    this.canvas.height = THUMB_H;
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });
  }

  start(): void {
    if (this.callbackId !== undefined || !this.context) return;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      this.onFrame(meta.expectedDisplayTime);
      this.callbackId = this.video.requestVideoFrameCallback(onFrame);
    };
    this.callbackId = this.video.requestVideoFrameCallback(onFrame);
  }

  stop(): void {
    if (this.callbackId !== undefined) this.video.cancelVideoFrameCallback(this.callbackId);
    this.callbackId = undefined;
  }

  /** Call when an input that should change the picture leaves the page. */
  inputSent(at = performance.now()): void {
    if (this.pending && at - this.pending.sentAt < this.windowMs) return; // one measurement at a time
    const sorted = [...this.recentChanges].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    this.pending = { sentAt: at, threshold: Math.max(MIN_CHANGE, 4 * median) };
  }

  /** Every measurement so far, oldest first. */
  all(): readonly PhotonSample[] {
    return this.samples;
  }

  /** Median of the last `count` measurements; undefined before the first. */
  medianMs(count = 10): number | undefined {
    const recent = this.samples.slice(-count).map((sample) => sample.latencyMs);
    if (!recent.length) return undefined;
    recent.sort((a, b) => a - b);
    return recent[Math.floor(recent.length / 2)];
  }

  private onFrame(displayTime: number): void {
    const context = this.context;
    if (!context || !this.video.videoWidth) return;
    context.drawImage(this.video, 0, 0, THUMB_W, THUMB_H);
    const pixels = context.getImageData(0, 0, THUMB_W, THUMB_H).data;
    const previous = this.previous;
    this.previous = pixels;
    if (!previous) return;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const luma = (p: Uint8ClampedArray): number =>
        0.299 * (p[i] ?? 0) + 0.587 * (p[i + 1] ?? 0) + 0.114 * (p[i + 2] ?? 0);
      sum += Math.abs(luma(pixels) - luma(previous));
    }
    const change = sum / (THUMB_W * THUMB_H);

    const pending = this.pending;
    if (pending) {
      if (displayTime - pending.sentAt > this.windowMs) {
        this.pending = undefined; // nothing clearly answered this input
      } else if (change >= pending.threshold) {
        this.pending = undefined;
        this.samples.push({ sentAt: pending.sentAt, latencyMs: Math.max(0, displayTime - pending.sentAt) });
        if (this.samples.length > 1000) this.samples.shift();
      }
      return; // frames while waiting for a reaction do not feed the baseline
    }
    this.recentChanges.push(change);
    if (this.recentChanges.length > BASELINE_FRAMES) this.recentChanges.shift();
  }
}
