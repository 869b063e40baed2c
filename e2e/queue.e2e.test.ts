import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';

/** Two players, one slot: the second waits in line, sees their place, and plays when the first ends. */
describe('the waiting queue', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], maxSessions: 1, logDir: '.tmp/e2e-logs/queue' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the position in line and starts the game when a slot frees', async () => {
    const first = browser.page;
    const second = await browser.context.newPage();
    await first.goto(stack.url);
    await first.getByRole('button', { name: 'Play Latency probe' }).click();
    await first.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });

    await second.goto(stack.url);
    await second.getByRole('button', { name: 'Play Latency probe' }).click();
    await expect
      .poll(() => second.getByRole('status').textContent(), { timeout: 10_000 })
      .toMatch(/You are number 1 in line \(about \d+ min\)/);
    expect(await second.getByRole('button', { name: 'Leave the queue' }).isVisible()).toBe(true);

    await first.getByRole('button', { name: 'End session' }).click();
    await first.waitForSelector('body[data-state="ended"]');
    await second.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    expect(await second.getByRole('button', { name: 'End session' }).isVisible()).toBe(true);
  });
});
