import type { Page } from 'playwright-core';
import type { OverlaySample, PresentedFrame } from './stream-measures.js';

export interface StreamRecord {
  frames: PresentedFrame[];
  samples: OverlaySample[];
}

/** The page's buffers; takeRecord() hands them out and empties them. */
type WatchState = StreamRecord;

/**
 * Starts recording, in the page, every frame the <video> presents and every update of the
 * stats overlay, stamped with the page's clock as ms since the epoch (comparable with the edge's
 * log times on the same machine). Read them with takeRecord().
 */
export async function watchStream(page: Page): Promise<void> {
  await page.evaluate(() => {
    const video = document.querySelector('video');
    const overlay = document.querySelector<HTMLElement>('[data-testid="stats"]');
    if (!video || !overlay) throw new Error('the play page has no video or stats overlay');
    const state: WatchState = { frames: [], samples: [] };
    (window as unknown as { __streamWatch: WatchState }).__streamWatch = state;
    const epoch = (now: number): number => performance.timeOrigin + now;
    const onFrame = (now: number, meta: VideoFrameCallbackMetadata): void => {
      state.frames.push({ at: epoch(now), presented: meta.presentedFrames, width: meta.width, height: meta.height });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    const value = (text: string | undefined): number | undefined => (text ? Number(text) : undefined);
    new MutationObserver(() => {
      state.samples.push({
        at: epoch(performance.now()),
        bitrateKbps: value(overlay.dataset.bitrateKbps),
        fps: value(overlay.dataset.fps),
        packetsLost: value(overlay.dataset.packetsLost),
      });
    }).observe(overlay, { attributes: true, attributeFilter: ['data-bitrate-kbps'] });
  });
}

/** What the page recorded since the last call. */
export async function takeRecord(page: Page): Promise<StreamRecord> {
  return page.evaluate(() => {
    const state = (window as unknown as { __streamWatch: WatchState }).__streamWatch;
    const record = { frames: state.frames, samples: state.samples };
    state.frames = [];
    state.samples = [];
    return record;
  });
}
