import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { pictureDifference, snapshot } from './src/video-frames.js';

/**
 * Junk on the input data channel: the edge drops it with a coded error sent back to the
 * page, and the session goes on reacting to real keys.
 */
describe('junk on the input data channel', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], logDir: '.tmp/e2e-logs/input-junk' });
    browser = await launchBrowser();
    // Test instrumentation only: keep a handle on the page's data channels.
    await browser.context.addInitScript({
      content: `{
        const create = RTCPeerConnection.prototype.createDataChannel;
        window.__channels = [];
        RTCPeerConnection.prototype.createDataChannel = function (...args) {
          const channel = create.apply(this, args);
          window.__channels.push(channel);
          return channel;
        };
      }`,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('answers junk with INVALID_MESSAGE and keeps playing', async () => {
    const { page } = browser;
    const rejections: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('the game node rejected input')) rejections.push(message.text());
    });
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });

    const sent = await page.evaluate(() => {
      const channel = (window as unknown as { __channels: RTCDataChannel[] }).__channels.find(
        (c) => c.label === 'input',
      );
      if (!channel || channel.readyState !== 'open') return 0;
      const junk = [
        'not json',
        '{"type":"key"}',
        JSON.stringify({ type: 'key', code: 'KeyA', down: true, pad: 'x'.repeat(600) }),
        '[]',
        '{"type":"teleport"}',
      ];
      for (const message of junk) channel.send(message);
      return junk.length;
    });
    expect(sent).toBe(5);
    await expect.poll(() => rejections.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(stack.logs.some((line) => line.msg === 'input rejected' && line.code === 'INVALID_MESSAGE')).toBe(true);

    // Still alive: a real key flips the probe's picture from black to white.
    await page.waitForTimeout(300);
    const before = await snapshot(page);
    await page.keyboard.press('Space');
    await expect
      .poll(async () => pictureDifference(before, await snapshot(page)), { timeout: 3000, interval: 50 })
      .toBeGreaterThan(100);
  });
});
