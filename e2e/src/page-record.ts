import type { Page } from 'playwright-core';

/** What the page records about itself, from an init script: its states and presented frames, by wall clock. */
export interface PageRecord {
  states: { state: string; at: number; notice: string; edge: string }[];
  frames: number[];
}

/**
 * Test instrumentation: every change of the page's `data-state` (with what the page says
 * then) and the wall-clock time of every video frame it presents (requestVideoFrameCallback).
 */
export const RECORD_PAGE = `{
  const record = { states: [], frames: [] };
  window.__record = record;
  const text = (id) => document.getElementById(id)?.textContent ?? '';
  new MutationObserver(() => {
    const state = document.body?.dataset.state;
    if (state && state !== record.states.at(-1)?.state)
      record.states.push({ state, at: Date.now(), notice: text('notice'), edge: text('session-info') });
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  const watch = () => {
    const video = document.getElementById('screen');
    if (!video) return setTimeout(watch, 50);
    const onFrame = () => {
      record.frames.push(Date.now());
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  watch();
}`;

/** What the page recorded so far (install RECORD_PAGE with context.addInitScript first). */
export function readRecord(page: Page): Promise<PageRecord> {
  return page.evaluate(() => (window as unknown as { __record: PageRecord }).__record);
}

/** The longest wait between two presented frames from `from` to `to` (wall clock), counting both ends. */
export function longestFreezeMs(frames: readonly number[], from: number, to: number): number {
  let previous = from;
  let longest = 0;
  for (const at of frames) {
    if (at < from) continue;
    if (at > to) break;
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return Math.max(longest, to - previous);
}
