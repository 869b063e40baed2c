import { describe, expect, it } from 'vitest';
import { longestFreezeMs, presentedFps, type PresentedFrame } from '../../e2e/src/stream-measures.js';

/** Frames every `stepMs` from `fromMs` to before `toMs`, numbered on from `firstPresented`. */
function frames(fromMs: number, toMs: number, stepMs: number, firstPresented = 1): PresentedFrame[] {
  const out: PresentedFrame[] = [];
  for (let at = fromMs, n = firstPresented; at < toMs; at += stepMs, n++)
    out.push({ at, presented: n, width: 960, height: 540 });
  return out;
}

/**
 * The measures the adaptive-quality e2e test holds a player's stream to: if these were wrong,
 * its freeze and fps assertions would say nothing.
 */
describe('what the page presented', () => {
  it('finds the longest still picture, counting the edges of the window', () => {
    const smooth = frames(0, 2000, 20);
    expect(longestFreezeMs(smooth, 0, 2000)).toBe(20);
    // 1.2 s without a frame in the middle.
    const stalled = [...frames(0, 500, 20), ...frames(1700, 2000, 20, 26)];
    expect(longestFreezeMs(stalled, 0, 2000)).toBe(1220);
    // A window without a single frame is one freeze as long as the window.
    expect(longestFreezeMs(stalled, 600, 1600)).toBe(1000);
    // A stall at the window's end counts up to the end.
    expect(longestFreezeMs(frames(0, 400, 20), 0, 2000)).toBe(1620);
  });

  it('counts presented frames per second of the window, merged callbacks included', () => {
    expect(presentedFps(frames(0, 10_000, 20), 1000, 9000)).toBeCloseTo(50, 0);
    // Callbacks every 100 ms, but the browser presented 5 frames between each: still 50 fps.
    const merged = frames(0, 10_000, 100).map((f, i) => ({ ...f, presented: 1 + i * 5 }));
    expect(presentedFps(merged, 1000, 9000)).toBeCloseTo(50, 0);
    // Two frames in an 8 s window are 0.25 fps, not the rate between those two frames.
    const sparse = [
      ...frames(0, 1000, 20),
      { at: 5000, presented: 51, width: 960, height: 540 },
      { at: 5020, presented: 52, width: 960, height: 540 },
    ];
    expect(presentedFps(sparse, 1000, 9000)).toBeCloseTo(0.25, 2);
    expect(presentedFps([], 0, 1000)).toBe(0);
  });
});
