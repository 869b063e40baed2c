import { io, type Socket } from 'socket.io-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { overlayStats } from './src/frame-watch.js';
import { sceneChange, snapshot } from './src/video-frames.js';

/**
 * A player plays the latency probe (black until a key or click flips it white, so any input
 * that reaches the game shows) through the real stack and shares a watch link; a second
 * page opens it in real Chromium and watches the same stream, without being able to play.
 */
describe('spectating a session through a watch link', () => {
  let stack: LocalStack;
  let browser: Browser;
  let player: Page;
  let spectator: Page;
  let link: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], logDir: '.tmp/e2e-logs/spectate' });
    browser = await launchBrowser();
    // Test instrumentation only: keep a handle on every peer connection and data channel a page makes.
    await browser.context.addInitScript({
      content: `{
        const Native = RTCPeerConnection;
        window.__pcs = [];
        window.__channels = 0;
        window.RTCPeerConnection = function (...args) {
          const pc = new Native(...args);
          window.__pcs.push(pc);
          pc.addEventListener('datachannel', () => window.__channels++);
          const create = pc.createDataChannel.bind(pc);
          pc.createDataChannel = (...a) => { window.__channels++; return create(...a); };
          return pc;
        };
        window.RTCPeerConnection.prototype = Native.prototype;
      }`,
    });
    player = browser.page;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await browser?.close();
    await stack?.stop();
  });

  /** The largest scene change on `page` from `from` over `ms`, sampled every 100 ms. */
  async function largestChange(page: Page, from: number[], ms: number): Promise<number> {
    let change = 0;
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      await page.waitForTimeout(100);
      change = Math.max(change, sceneChange(from, await snapshot(page)));
    }
    return change;
  }

  /** How long keys on the watch page are given to (wrongly) reach the game. */
  const WATCH_WINDOW_MS = 6_000;

  const framesDecoded = async (page: Page): Promise<number> => (await overlayStats(page)).framesDecoded ?? 0;

  it('a spectator opens the shared link and decodes the player’s stream; both see the viewer count', async () => {
    await player.goto(stack.url);
    await player.getByRole('button', { name: 'Play Latency probe' }).click();
    await player.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    await player.getByRole('button', { name: 'Share watch link' }).click();
    const field = player.getByRole('textbox', { name: 'watch link' });
    await expect.poll(() => field.inputValue(), { timeout: 10_000 }).toMatch(/\/watch\.html#edge=.+&token=/);
    link = await field.inputValue();
    expect(link.startsWith(stack.url)).toBe(true);

    spectator = await browser.context.newPage();
    await spectator.goto(link);
    await spectator.waitForSelector('body[data-state="watching"]', { timeout: 30_000 });
    // The overlay's framesDecoded is the inbound-rtp video statistic of the spectator's transport.
    await expect.poll(() => framesDecoded(spectator), { timeout: 15_000 }).toBeGreaterThan(0);
    const before = await framesDecoded(spectator);
    await spectator.waitForTimeout(3000);
    const decoded = (await framesDecoded(spectator)) - before;
    console.log(`spectator decoded ${decoded} frames in 3 s`);
    expect(decoded).toBeGreaterThanOrEqual(30);
    await expect.poll(() => spectator.getByTestId('viewers').textContent()).toBe('1 watching');
    await expect.poll(() => player.getByTestId('viewers').textContent()).toBe('1 watching');
    await stack.waitForLog((line) => line.msg === 'spectator joined' && line.viewers === 1);
  });

  it('cannot play: no data channel, nothing sent, keys on the watch page do not reach the game', async () => {
    const media = await spectator.evaluate(() => {
      // mediasoup-client opens (and closes) a throwaway connection to read the browser's capabilities.
      const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter(
        (pc) => pc.signalingState !== 'closed',
      );
      return {
        pcs: pcs.length,
        channels: (window as unknown as { __channels: number }).__channels,
        directions: pcs.flatMap((pc) => pc.getTransceivers().map((t) => t.currentDirection)),
      };
    });
    expect(media.pcs).toBe(1);
    expect(media.channels).toBe(0);
    expect(media.directions.length).toBeGreaterThan(0);
    for (const direction of media.directions) expect(direction).toBe('recvonly');

    // Any key flips the probe: from the watch page the game must not react...
    const menu = await snapshot(player);
    await spectator.locator('video').click();
    for (let i = 0; i < 3; i++) await spectator.keyboard.press('Enter');
    const fromWatchPage = await largestChange(player, menu, WATCH_WINDOW_MS);
    // ...while the same key from the player's page does, sooner than the window watched above (the control).
    // Not a click on the picture: the probe flips on clicks too.
    await player.bringToFront();
    const pressed = Date.now();
    await player.keyboard.press('Enter');
    await expect
      .poll(async () => sceneChange(menu, await snapshot(player)), { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(0.1);
    const reactedAfterMs = Date.now() - pressed;
    // How far the picture moves when the game does react (black to white: nearly every colour).
    const levelChange = await largestChange(player, menu, 2000);
    console.log(
      `largest scene change in ${WATCH_WINDOW_MS} ms after Enter on the watch page: ${fromWatchPage.toFixed(3)}; ` +
        `the game reacted to Enter on the play page after ${reactedAfterMs} ms (change ${levelChange.toFixed(3)})`,
    );
    expect(fromWatchPage).toBeLessThan(levelChange / 2);
    expect(reactedAfterMs).toBeLessThan(WATCH_WINDOW_MS);
    // The spectator sees the flip the player caused.
    expect(sceneChange(menu, await snapshot(spectator))).toBeGreaterThan(0.1);

    // Straight at the edge with the link's token: input and ending the session are refused.
    const { edge, token } = Object.fromEntries(new URLSearchParams(new URL(link).hash.slice(1)));
    const socket = io(`${edge}/watch`, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const ask = (event: string, payload: unknown): Promise<unknown> =>
      socket.timeout(10_000).emitWithAck(event, payload);
    expect(await ask('watch:join', { token })).toMatchObject({ ok: true, viewers: 2 });
    expect(await ask('transport:create', { direction: 'send' })).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(await ask('data:produce', { label: 'input' })).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(await ask('session:end', {})).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    socket.close();
    await stack.waitForLog((line) => line.msg === 'spectator left' && line.viewers === 1);
    await expect.poll(() => player.getByTestId('viewers').textContent(), { timeout: 5000 }).toBe('1 watching');
    expect(await player.evaluate(() => document.body.dataset.state)).toBe('playing');
  });

  it('the spectator is told when the player ends the session, and the link opens nothing after', async () => {
    await player.getByRole('button', { name: 'End session' }).click();
    await player.waitForSelector('body[data-state="ended"]');
    await spectator.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    expect(await spectator.getByRole('status').textContent()).toBe(
      'The session has ended: the player stopped playing.',
    );
    await stack.waitForLog((line) => line.msg === 'audience closed');
    await spectator.goto('about:blank');
    await spectator.goto(link);
    await spectator.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    expect(await spectator.getByRole('status').textContent()).toBe('This session has ended.');
  });
});
