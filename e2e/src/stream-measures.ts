/**
 * What a player saw, measured from what the play page recorded (stream-watch.ts): pure
 * functions, without the DOM, so that unit tests can check them.
 */

/** One frame the page's <video> presented (requestVideoFrameCallback), page clock in ms since epoch. */
export interface PresentedFrame {
  at: number;
  /** The browser's running count of presented frames: a jump of more than one means callbacks were merged. */
  presented: number;
  width: number;
  height: number;
}

/** One update of the play page's stats overlay (once a second, from the recv transport's getStats). */
export interface OverlaySample {
  at: number;
  bitrateKbps: number | undefined;
  fps: number | undefined;
  packetsLost: number | undefined;
}

/** The frames presented in [from, to). */
export function framesIn(frames: PresentedFrame[], from: number, to: number): PresentedFrame[] {
  return frames.filter((frame) => frame.at >= from && frame.at < to);
}

/**
 * The longest time the picture stood still in [from, to): the largest gap between two presented
 * frames, counting the window's edges (a window with no frame at all is one whole freeze).
 */
export function longestFreezeMs(frames: PresentedFrame[], from: number, to: number): number {
  let last = from;
  let longest = 0;
  for (const frame of framesIn(frames, from, to)) {
    longest = Math.max(longest, frame.at - last);
    last = frame.at;
  }
  return Math.max(longest, to - last);
}

/**
 * Frames presented per second of [from, to), by the browser's own presented-frame count (which
 * also counts frames whose callbacks were merged): the frames presented after the last one before
 * the window, up to the last one inside it, over the window's whole length.
 */
export function presentedFps(frames: PresentedFrame[], from: number, to: number): number {
  const inside = framesIn(frames, from, to);
  const last = inside[inside.length - 1];
  if (!last || to <= from) return 0;
  const before = frames.filter((frame) => frame.at < from).at(-1);
  const base = before ? before.presented : (inside[0]?.presented ?? last.presented) - 1;
  return ((last.presented - base) * 1000) / (to - from);
}

export const median = (values: number[]): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
