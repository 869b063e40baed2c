import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { decodedFrames, sceneChange, snapshot } from './src/video-frames.js';

/** The largest scene change from `from` seen over `ms`, sampled every 100 ms. */
async function largestChange(page: Page, from: number[], ms: number): Promise<number> {
  let change = 0;
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    await page.waitForTimeout(100);
    change = Math.max(change, sceneChange(from, await snapshot(page)));
  }
  return change;
}

/** A key held as long as a person holds it: SuperTux reads key state once a frame, so an instant press/release can be missed. */
async function press(page: Page, key: string): Promise<void> {
  await page.keyboard.down(key);
  await page.waitForTimeout(150);
  await page.keyboard.up(key);
}

/** SuperTux 2 (Debian's `supertux`), the second sample title, played in real Chromium. */
describe('playing SuperTux in the browser', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['supertux2'], logDir: '.tmp/e2e-logs/supertux' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('streams the title screen and goes from the menu into the game on Enter', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play SuperTux' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    // The title screen is up once frames flow and the picture has settled (loading, then
    // the menu fading in, change it a lot; a loaded machine takes a while to get there).
    await expect.poll(() => decodedFrames(page), { timeout: 20_000 }).toBeGreaterThan(60);
    await expect
      .poll(
        async () => {
          const before = await snapshot(page);
          await page.waitForTimeout(1000);
          return sceneChange(before, await snapshot(page));
        },
        { timeout: 30_000, interval: 0 },
      )
      .toBeLessThan(0.1);

    const menu = await snapshot(page);
    const withoutInput = await largestChange(page, menu, 1500);
    // Enter on "Start Game", then Enter on the first level set: the world map (or, on a
    // first run, the story intro) replaces the title screen. Retry once on a loaded machine.
    let withInput = 0;
    for (let attempt = 0; attempt < 2 && withInput <= Math.max(2 * withoutInput, 0.6); attempt++) {
      await press(page, 'Enter');
      await page.waitForTimeout(800);
      await press(page, 'Enter');
      withInput = await largestChange(page, menu, 3000);
    }
    console.log(
      `SuperTux scene change: 1.5 s without input ${withoutInput.toFixed(3)}; after Enter, Enter ${withInput.toFixed(3)}`,
    );
    // The title screen animates (Tux walks, the level scrolls): up to ~0.3 without input on a
    // loaded machine. The story intro or world map replaces nearly every colour (~1.0).
    expect(withInput).toBeGreaterThan(Math.max(2 * withoutInput, 0.6));
  }, 90_000);
});
