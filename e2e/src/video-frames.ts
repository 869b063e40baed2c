import type { Page } from 'playwright-core';

/** Frames the page's <video> has decoded so far. */
export function decodedFrames(page: Page): Promise<number> {
  return page.evaluate(() => {
    const video = document.querySelector('video');
    return video ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  });
}

/** The picture the player sees now, shrunk to 160×120 RGB. */
export function snapshot(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const video = document.querySelector('video');
    if (!video || video.videoWidth === 0) throw new Error('no video frame to capture');
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 120;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2d context');
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    const rgb: number[] = [];
    for (let i = 0; i < data.length; i += 4) rgb.push(data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0);
    return rgb;
  });
}

/**
 * How different two pictures are as colour histograms (64 bins, total variation
 * distance, 0–1). Unlike a pixel-by-pixel difference it barely moves when a game's
 * background scrolls, and jumps when the screen changes to another scene.
 */
export function sceneChange(a: readonly number[], b: readonly number[]): number {
  const histogram = (rgb: readonly number[]): number[] => {
    const bins = new Array<number>(64).fill(0);
    for (let i = 0; i + 2 < rgb.length; i += 3) {
      const bin = ((rgb[i] ?? 0) >> 6) * 16 + ((rgb[i + 1] ?? 0) >> 6) * 4 + ((rgb[i + 2] ?? 0) >> 6);
      bins[bin] = (bins[bin] ?? 0) + 1;
    }
    return bins.map((count) => count / (rgb.length / 3));
  };
  if (a.length !== b.length || a.length === 0) throw new Error('snapshots differ in size');
  const ha = histogram(a);
  const hb = histogram(b);
  return ha.reduce((sum, value, i) => sum + Math.abs(value - (hb[i] ?? 0)), 0) / 2;
}

/** Mean absolute difference per colour channel, 0–255. */
export function pictureDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error('snapshots differ in size');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}
