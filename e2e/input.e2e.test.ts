import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { pointerOn, sessionDisplay, xdotool } from './src/session-display.js';
import { pictureDifference, sceneChange, snapshot } from './src/video-frames.js';

/**
 * Mouse and gamepad from real Chromium through the real stack into the game's display.
 * Headless Chromium has no gamepad: the page gets a stand-in `navigator.getGamepads`
 * (installed before the page loads) whose buttons the test presses.
 */
describe('mouse and gamepad input', () => {
  let stack: LocalStack;
  let browser: Browser;
  let display: string;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe', 'chromium-bsu'], logDir: '.tmp/e2e-logs/input' });
    browser = await launchBrowser();
    // Test instrumentation only: one standard-mapping pad the test drives, and a count of polls.
    await browser.context.addInitScript({
      content: `{
        const pad = {
          id: 'EdgePlay stand-in pad', index: 0, connected: true, mapping: 'standard', timestamp: 0,
          buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })),
          axes: [0, 0, 0, 0],
        };
        window.__pad = pad;
        window.__padPolls = 0;
        Object.defineProperty(Navigator.prototype, 'getGamepads', {
          configurable: true,
          value() { window.__padPolls += 1; return [pad, null, null, null]; },
        });
      }`,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function play(page: Page, name: string): Promise<void> {
    await page.getByRole('button', { name: `Play ${name}` }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('video')?.videoWidth ?? 0) > 0, undefined, {
      timeout: 15_000,
    });
  }

  /** The page point over a fraction of the game's picture (the video is letterboxed). */
  async function pictureAt(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
    return page.evaluate(
      ([x, y]) => {
        const video = document.querySelector('video');
        if (!video) throw new Error('no video');
        const box = video.getBoundingClientRect();
        const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
        const width = video.videoWidth * scale;
        const height = video.videoHeight * scale;
        return {
          x: box.left + (box.width - width) / 2 + x * width,
          y: box.top + (box.height - height) / 2 + y * height,
        };
      },
      [fx, fy] as const,
    );
  }

  /** What the probe title last received, from its window name ("button 1 at 320,540"). */
  const probeHeard = async (): Promise<string> =>
    (await xdotool(display, 'search', '--name', 'EdgePlay latency probe', 'getwindowname', '%@').catch(() => ''))
      .split(': ')
      .slice(1)
      .join(': ');

  it('reads no gamepad before a session plays', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __padPolls: number }).__padPolls)).toBe(0);
  });

  it('moves the game’s pointer to the point of the picture under the mouse, and clicks there', async () => {
    const { page } = browser;
    await play(page, 'Latency probe');
    display = sessionDisplay(stack.edge.pid ?? -1, (args) => args.includes('color-flip.mjs'));
    // 1280×720 title: a quarter across and three quarters down is pixel (320, 540).
    const target = await pictureAt(page, 0.25, 0.75);
    await page.mouse.move(target.x, target.y);
    // Within a pixel: the page sees whole CSS pixels, each about 1.04 of the game's here.
    const near = (p: { x: number; y: number }): boolean => Math.abs(p.x - 320) <= 1 && Math.abs(p.y - 540) <= 1;
    await expect.poll(async () => near(await pointerOn(display)), { timeout: 3000 }).toBe(true);
    const at = await pointerOn(display);
    console.log(`mouse at page (${target.x.toFixed(1)}, ${target.y.toFixed(1)}) → game pixel (${at.x}, ${at.y})`);

    // A click reaches the game at that point, and the probe's picture flips.
    const before = await snapshot(page);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(probeHeard, { timeout: 3000 }).toBe(`button 1 at ${at.x},${at.y}`);
    await expect
      .poll(async () => pictureDifference(before, await snapshot(page)), { timeout: 3000, interval: 50 })
      .toBeGreaterThan(100);

    await page.mouse.click(target.x, target.y, { button: 'right' });
    await expect.poll(probeHeard, { timeout: 3000 }).toBe(`button 3 at ${at.x},${at.y}`);
  });

  it('turns the wheel into wheel clicks in the game', async () => {
    const { page } = browser;
    await page.mouse.wheel(0, 100);
    await expect.poll(probeHeard, { timeout: 3000 }).toMatch(/^button 5 at /);
    await page.mouse.wheel(0, -100);
    await expect.poll(probeHeard, { timeout: 3000 }).toMatch(/^button 4 at /);
  });

  it('with the mouse locked, moves the game’s pointer by the mouse’s motion', async () => {
    const { page } = browser;
    await page.getByLabel('Lock the mouse (mouse-look)').check();
    const centre = await pictureAt(page, 0.5, 0.5);
    await page.mouse.move(centre.x, centre.y);
    const heard = await probeHeard();
    const start = await pointerOn(display);
    // The click that locks the mouse is not a click in the game.
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForFunction(() => document.pointerLockElement?.tagName === 'VIDEO', undefined, { timeout: 3000 });
    await page.mouse.move(centre.x + 50, centre.y - 10);
    await expect.poll(() => pointerOn(display), { timeout: 3000 }).toEqual({ x: start.x + 50, y: start.y - 10 });
    expect(await probeHeard()).toBe(heard);
    // Locked, a click is the game's.
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(probeHeard, { timeout: 3000 }).toBe(`button 1 at ${start.x + 50},${start.y - 10}`);
    // Esc frees the mouse (the browser's own key: done here as the browser would).
    await page.evaluate(() => document.exitPointerLock());
    await page.waitForFunction(() => document.pointerLockElement === null);
    await page.getByLabel('Lock the mouse (mouse-look)').uncheck();
    // Unlocked and back to absolute: the game's pointer follows the mouse over the picture again.
    const corner = await pictureAt(page, 0.1, 0.1);
    await page.mouse.move(corner.x, corner.y);
    await expect
      .poll(async () => {
        const p = await pointerOn(display);
        return Math.abs(p.x - 128) <= 1 && Math.abs(p.y - 72) <= 1;
      })
      .toBe(true);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]');
  });

  it('a gamepad’s Start and Back reach Chromium B.S.U. as the keys its map names', async () => {
    const { page } = browser;
    await play(page, 'Chromium B.S.U.');
    expect(await page.evaluate(() => (window as unknown as { __padPolls: number }).__padPolls)).toBeGreaterThan(0);
    const press = async (button: number): Promise<void> => {
      const set = (down: boolean): Promise<void> =>
        page.evaluate(
          ([b, d]) => {
            const pad = (window as unknown as { __pad: { buttons: { pressed: boolean; value: number }[] } }).__pad;
            const target = pad.buttons[b];
            if (target) Object.assign(target, { pressed: d, value: d ? 1 : 0 });
          },
          [button, down] as const,
        );
      await set(true);
      await page.waitForTimeout(150);
      await set(false);
    };
    /**
     * Samples the picture every 100 ms for up to `ms`: when it first looks like another
     * scene than `from` (if `stopAt` is set), and the largest change seen. The game takes
     * from under a second to several when the machine is busy, so reactions are waited
     * for rather than looked for in a fixed window.
     */
    const watch = async (
      from: number[],
      ms: number,
      stopAt?: number,
    ): Promise<{ afterMs: number | undefined; change: number; last: number[] }> => {
      const started = Date.now();
      let change = 0;
      let last = from;
      while (Date.now() - started < ms) {
        await page.waitForTimeout(100);
        last = await snapshot(page);
        change = Math.max(change, sceneChange(from, last));
        if (stopAt !== undefined && change > stopAt) return { afterMs: Date.now() - started, change, last };
      }
      return { afterMs: undefined, change, last };
    };
    const SCENE = 0.1;
    // Let the menu settle (the stream may start mid-fade).
    await page.waitForTimeout(1000);
    const menu = await snapshot(page);
    await press(9); // Start → Enter: a new game.
    const started = await watch(menu, 10_000, SCENE);
    await page.waitForTimeout(1000);
    // Control: the level left alone (its background scrolls) is not another scene.
    const withoutInput = await watch(await snapshot(page), 3000);
    await press(8); // Back → Escape: to the menu.
    const left = await watch(withoutInput.last, 10_000, SCENE);
    console.log(
      `scene change after Start ${started.change.toFixed(3)} (${started.afterMs ?? 'none in 10000'} ms); ` +
        `3 s without input ${withoutInput.change.toFixed(3)}; after Back ${left.change.toFixed(3)} ` +
        `(${left.afterMs ?? 'none in 10000'} ms)`,
    );
    expect(started.afterMs).toBeDefined();
    expect(withoutInput.change).toBeLessThan(SCENE / 2);
    expect(left.afterMs).toBeDefined();
  });

  it('stops reading the gamepad when the session ends', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]');
    const polls = (): Promise<number> => page.evaluate(() => (window as unknown as { __padPolls: number }).__padPolls);
    const after = await polls();
    await page.waitForTimeout(500);
    expect(await polls()).toBe(after);
  });
});
