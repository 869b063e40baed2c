import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { descendants, isAlive } from './src/process-tree.js';

/** When the edge node itself is killed, the player hears of it and nothing is left behind. */
describe('an edge node killed mid-session', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], logDir: '.tmp/e2e-logs/edge-crash' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('tells the player and takes every session process and the SFU worker down with it', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });

    const processes = descendants(stack.edge.pid ?? -1);
    const names = processes.map((p) => p.name);
    for (const expected of ['Xvfb', 'python3', 'ffmpeg', 'pulseaudio', 'mediasoup-worker'])
      expect(names).toContain(expected);
    // The probe beeps through pacat, into the session's sound server.
    expect(names).toContain('pacat');
    expect(processes.some((p) => p.args.includes('color-flip.mjs'))).toBe(true);

    const edgeExit = new Promise((resolve) => stack.edge.once('exit', resolve));
    process.kill(stack.edge.pid ?? -1, 'SIGKILL');
    await edgeExit;

    // The page first tries to get the session back (a network drop looks the same), then gives up:
    // after its 10 s window, or sooner when the broker reports the node gone.
    await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 10_000 });
    await page.waitForSelector('body[data-state="ended"]', { timeout: 20_000 });
    expect(await page.getByRole('status').textContent()).toMatch(
      /^The (connection to the game node was lost for more than 10 s|game node stopped answering; you can play again)\.$/,
    );
    // Children die with their parent (PR_SET_PDEATHSIG; the worker on its closed channel).
    await expect
      .poll(() => processes.filter((p) => isAlive(p.pid)).map((p) => p.name), { timeout: 5000, interval: 50 })
      .toEqual([]);
  });
});
