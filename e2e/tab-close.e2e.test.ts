import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';

/**
 * A player who closes the tab is gone for good: the slot must go to the next player now, not
 * after the 10 s the node would wait for a player whose network only dropped.
 */
describe('closing the tab', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], maxSessions: 1, logDir: '.tmp/e2e-logs/tab-close' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('ends the session at once and the waiting player is placed on the freed slot', async () => {
    const first = browser.page;
    await first.goto(stack.url);
    await first.getByRole('button', { name: 'Play Latency probe' }).click();
    await first.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    const { sessionId } = (await stack.waitForLog(
      (line) => line.service === 'edge-node' && line.msg === 'session started',
      10_000,
    )) as { sessionId?: string };
    expect(sessionId).toBeDefined();

    // The only slot is taken: a second player waits in line.
    const second = await browser.context.newPage();
    await second.goto(stack.url);
    await second.getByRole('button', { name: 'Play Latency probe' }).click();
    await expect
      .poll(() => second.getByRole('status').textContent(), { timeout: 15_000 })
      .toMatch(/You are number 1 in line/);

    const closedAt = Date.now();
    await first.close();
    const ending = await stack.waitForLog(
      (line) => line.service === 'edge-node' && line.msg === 'session ending' && line.sessionId === sessionId,
      9_000,
    );
    const endedAfterMs = Date.now() - closedAt;
    // Not the reconnect grace period's PLAYER_GONE: the page said it was leaving.
    expect(ending.code).toBe('PLAYER_ENDED');
    await second.waitForSelector('body[data-state="playing"]', { timeout: 20_000 });
    const placedAfterMs = Date.now() - closedAt;
    console.log(`tab closed: session ended after ${endedAfterMs} ms, next player playing after ${placedAfterMs} ms`);
    expect(endedAfterMs).toBeLessThan(9_000);
  }, 120_000);
});
