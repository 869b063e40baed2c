import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { descendants, isAlive } from './src/process-tree.js';

const framesDecoded = (page: Page): Promise<number> =>
  page.evaluate(
    () => (document.getElementById('screen') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames,
  );

/**
 * A player whose network drops: Playwright takes the page offline (Chromium's network
 * emulation), which cuts its WebSocket to the edge; WebRTC media is not covered by that
 * emulation, so the page also sees its transports' ICE fail once the edge closes them.
 */
describe('a network drop mid-session', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], logDir: '.tmp/e2e-logs/reconnect' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const game = (): number[] =>
    descendants(stack.edge.pid ?? -1)
      .filter((p) => p.args.includes('color-flip.mjs'))
      .map((p) => p.pid);

  it('resumes the same game after a 5 s drop, and ends the session cleanly after a 15 s one', async () => {
    const { page, context } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    await expect.poll(() => framesDecoded(page), { timeout: 10_000 }).toBeGreaterThan(10);
    const [gamePid] = game();
    expect(gamePid).toBeDefined();

    await context.setOffline(true);
    await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 10_000 });
    expect(await page.getByRole('status').textContent()).toBe('Reconnecting…');
    // The last picture stays on screen under the notice.
    expect(await page.locator('#screen').isVisible()).toBe(true);
    await page.waitForTimeout(5000);
    await context.setOffline(false);

    await page.waitForSelector('body[data-state="playing"]', { timeout: 15_000 });
    expect(game()).toEqual([gamePid]);
    expect(isAlive(gamePid ?? -1)).toBe(true);
    const before = await framesDecoded(page);
    await expect.poll(() => framesDecoded(page), { timeout: 10_000 }).toBeGreaterThan(before + 10);
    await stack.waitForLog((line) => line.msg === 'player resumed the session', 5000);

    // A long drop: the page gives up after 10 s, the edge ends the session and frees the slot.
    await context.setOffline(true);
    await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 10_000 });
    await page.waitForSelector('body[data-state="ended"]', { timeout: 20_000 });
    expect(await page.getByRole('status').textContent()).toBe(
      'The connection to the game node was lost for more than 10 s.',
    );
    await stack.waitForLog((line) => (line as { code?: string }).code === 'PLAYER_GONE', 20_000);
    await expect.poll(() => isAlive(gamePid ?? -1), { timeout: 10_000 }).toBe(false);
    await context.setOffline(false);

    // The slot is free again: a second player is placed on the same node.
    const second = await context.newPage();
    await second.goto(stack.url);
    await second.getByRole('button', { name: 'Play Latency probe' }).click();
    await second.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    await second.close();
  }, 120_000);
});
