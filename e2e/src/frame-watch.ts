import type { Page } from 'playwright-core';

/** A region of the picture, as fractions of its width and height. */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ReactionTiming {
  /** performance.now() when the page's keydown handler ran (it sends the input then). */
  sentAt: number;
  /** requestVideoFrameCallback metadata of the first frame showing the reaction. */
  receiveTime: number | undefined;
  processingDuration: number | undefined;
  presentationTime: number;
  expectedDisplayTime: number;
  callbackAt: number;
}

/**
 * Installs, in the page, a watcher that reads the mean brightness of `region` on every
 * frame the <video> presents (requestVideoFrameCallback), and records key-down times.
 */
export async function installFrameWatch(page: Page, region: Region): Promise<number> {
  return page.evaluate((r) => {
    const video = document.querySelector('video');
    if (!video) throw new Error('no video');
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 18;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2d context');
    const state = {
      frames: 0,
      firstFrameAt: 0,
      lastFrameAt: 0,
      brightness: 0,
      sentAt: 0,
      watching: undefined as undefined | { above: boolean; threshold: number; resolve: (value: unknown) => void },
    };
    (window as unknown as { __frameWatch: typeof state }).__frameWatch = state;
    window.addEventListener('keydown', () => (state.sentAt = performance.now()), { capture: true });
    const onFrame = (
      now: number,
      meta: VideoFrameCallbackMetadata & { receiveTime?: number; processingDuration?: number },
    ): void => {
      const sx = r.x * video.videoWidth;
      const sy = r.y * video.videoHeight;
      context.drawImage(
        video,
        sx,
        sy,
        r.w * video.videoWidth,
        r.h * video.videoHeight,
        0,
        0,
        canvas.width,
        canvas.height,
      );
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4)
        sum += 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
      state.brightness = sum / (data.length / 4);
      state.frames += 1;
      if (!state.firstFrameAt) state.firstFrameAt = now;
      state.lastFrameAt = now;
      const watch = state.watching;
      if (watch && state.brightness > watch.threshold === watch.above) {
        state.watching = undefined;
        watch.resolve({
          sentAt: state.sentAt,
          receiveTime: meta.receiveTime,
          processingDuration: meta.processingDuration,
          presentationTime: meta.presentationTime,
          expectedDisplayTime: meta.expectedDisplayTime,
          callbackAt: now,
        });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return performance.timeOrigin;
  }, region);
}

/** The figures the stats overlay shows, as numbers. */
export function overlayStats(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const overlay = document.querySelector<HTMLElement>('[data-testid="stats"]');
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(overlay?.dataset ?? {})) if (value) out[key] = Number(value);
    return out;
  });
}

/** Mean brightness (0–255) of the watched region in the latest presented frame. */
export function brightness(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __frameWatch: { brightness: number } }).__frameWatch.brightness);
}

/** Frames presented, and the span they were presented over (ms). */
export function presentedFrames(page: Page): Promise<{ frames: number; spanMs: number }> {
  return page.evaluate(() => {
    const s = (window as unknown as { __frameWatch: { frames: number; firstFrameAt: number; lastFrameAt: number } })
      .__frameWatch;
    return { frames: s.frames, spanMs: s.lastFrameAt - s.firstFrameAt };
  });
}

/**
 * Presses `key` and resolves with the timing of the first presented frame whose region
 * brightness crosses `threshold` in the given direction.
 */
export async function timeReaction(
  page: Page,
  key: string,
  threshold: number,
  above: boolean,
  timeoutMs = 3000,
): Promise<ReactionTiming> {
  const reaction = page.evaluate(
    ([t, a, ms]) =>
      new Promise((resolve, reject) => {
        const s = (window as unknown as { __frameWatch: { watching: unknown } }).__frameWatch;
        s.watching = { threshold: t, above: a, resolve };
        setTimeout(() => reject(new Error('no reaction on screen')), ms);
      }),
    [threshold, above, timeoutMs] as const,
  );
  await page.keyboard.press(key);
  return (await reaction) as ReactionTiming;
}
