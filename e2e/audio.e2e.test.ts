import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { descendants, isAlive, type ProcessInfo } from './src/process-tree.js';
import { installSoundWatch, keyToSound } from './src/sound-watch.js';

/** The overlay's figures (written from the recv transport's stats once a second). */
async function overlayNumber(
  page: Page,
  key: 'audioPackets' | 'audioLevel' | 'audioJitterBufferMs',
): Promise<number | undefined> {
  const text = await page
    .getByTestId('stats')
    .getAttribute(`data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  return text ? Number(text) : undefined;
}

/** Waits for the next stats tick and returns its sound level (RMS over the last second). */
async function nextLevel(page: Page): Promise<number> {
  const before = await overlayNumber(page, 'audioPackets');
  await expect.poll(() => overlayNumber(page, 'audioPackets'), { timeout: 5000, interval: 50 }).not.toBe(before);
  return (await overlayNumber(page, 'audioLevel')) ?? Number.NaN;
}

/**
 * The game's sound reaches the player: the latency probe beeps on every key, the edge
 * records its private PulseAudio sink as Opus, and real Chromium receives and plays it.
 */
describe('sound from the game in the browser', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({ titles: ['latency-probe'], logDir: '.tmp/e2e-logs/audio' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const soundProcesses = (): ProcessInfo[] =>
    descendants(stack.edge.pid ?? -1).filter(
      (p) => p.name === 'pulseaudio' || (p.name === 'ffmpeg' && p.args.includes('-f pulse')),
    );

  it('audio RTP arrives in the page: silence while the game is quiet, sound when it beeps', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    expect(
      soundProcesses()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['ffmpeg', 'pulseaudio']);
    expect(await page.locator('audio#sound').evaluate((audio: HTMLAudioElement) => audio.srcObject !== null)).toBe(
      true,
    );

    // Packets flow with nothing playing: 20 ms Opus frames, about 50 a second.
    await expect.poll(() => overlayNumber(page, 'audioPackets'), { timeout: 10_000 }).toBeGreaterThan(0);
    await nextLevel(page);
    const first = (await overlayNumber(page, 'audioPackets')) ?? 0;
    const quiet = [await nextLevel(page), await nextLevel(page)];
    const packets = ((await overlayNumber(page, 'audioPackets')) ?? 0) - first;
    console.log(
      `audio packets in two seconds: ${packets}; level while quiet: ${quiet.map((l) => l.toFixed(4)).join(', ')}`,
    );
    expect(packets).toBeGreaterThanOrEqual(80);
    for (const level of quiet) expect(level).toBeLessThan(0.01);

    // A key every 200 ms: the probe plays a 150 ms tone (RMS 0.35) on each.
    const loud: number[] = [];
    const pressing = (async () => {
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press('KeyA');
        await page.waitForTimeout(200);
      }
    })();
    await nextLevel(page);
    loud.push(await nextLevel(page));
    await pressing;
    console.log(`level while beeping: ${loud[0]?.toFixed(3)}`);
    expect(loud[0]).toBeGreaterThan(0.05);
    expect(loud[0]).toBeGreaterThan(10 * Math.max(...quiet, 0.001));
  });

  it('a key press is heard within a second, measured in the page on the played audio', async () => {
    const { page } = browser;
    await installSoundWatch(page);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(400);
      delays.push(await keyToSound(page, 'KeyB'));
    }
    delays.sort((a, b) => a - b);
    const median = delays[Math.floor(delays.length / 2)] ?? Number.NaN;
    const buffer = await overlayNumber(page, 'audioJitterBufferMs');
    console.log(
      `key to sound (ms): median ${median.toFixed(0)}, all ${delays.map((d) => d.toFixed(0)).join(' ')}; ` +
        `audio jitter buffer ${buffer?.toFixed(0)} ms`,
    );
    // Loose on purpose: a bound that shows the tone belongs to the key, not a speed target.
    expect(median).toBeLessThan(1000);
  });

  it('ending the session stops the sound server and the audio encoder', async () => {
    const { page } = browser;
    const running = soundProcesses();
    expect(running).toHaveLength(2);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]');
    await stack.waitForLog((line) => line.msg === 'session ended');
    for (const p of running) expect(isAlive(p.pid), `${p.name} (${p.pid}) still running`).toBe(false);
    expect(soundProcesses()).toEqual([]);
  });
});
