import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerStack } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { decodedFrames } from './src/video-frames.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const SCREENSHOTS = '.tmp/e2e-screenshots';

/**
 * A studio onboards a title through the studio page in real Chromium, an edge node that
 * has the game installed picks it up and offers it, players see it in the catalog with its
 * cover and play it, and the studio sees the play time. Broker and edge run as processes.
 */
describe('a studio brings a title to the network', () => {
  let stack: BrokerStack;
  let browser: Browser;
  let dir: string;
  let apiKey: string;

  const api = async (method: string, path: string, json?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-studio-e2e-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    stack = await startBroker({ logDir: '.tmp/e2e-logs/studio', brokerEnv: { ADMIN_TOKEN } });
    const created = await fetch(`${stack.url}/api/admin/studios`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Nebula Arcade' }),
    });
    apiKey = ((await created.json()) as { apiKey: string }).apiKey;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers a title on the studio page, showing the field the broker refused until it is fixed', async () => {
    const { page } = browser;
    // A real cover, as a studio's tools would write it.
    const cover = join(dir, 'cover.png');
    const art =
      'gradients=s=460x215:c0=0x1b2a6b:c1=0xd0306a:x0=0:y0=0:x1=460:y1=215,' +
      "drawtext=text='BSU ARCADE':fontcolor=white:fontsize=48:x=(w-text_w)/2:y=(h-text_h)/2:" +
      'fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', art, '-frames:v', '1', cover]);

    await page.goto(`${stack.url}/studio.html`);
    await page.getByLabel('API key', { exact: true }).fill('eps_not-a-real-key-at-all-not-a-real-key-1234');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-status').textContent()).toMatch(/not a live studio key/);
    await page.getByLabel('API key', { exact: true }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#studio-name').textContent()).toBe('Nebula Arcade');
    // The studio's name shows first; its title list arrives with the next answer.
    await expect.poll(() => page.getByText('No titles yet').isVisible()).toBe(true);

    await page.getByLabel('Id', { exact: true }).fill('bsu-arcade');
    await page.getByLabel('Name').fill('BSU Arcade');
    await page.getByLabel('Description').fill('Chromium B.S.U., as a studio title: shoot everything.');
    await page.getByLabel('Launch command').fill('chromium-bsu');
    await page.getByLabel('Arguments').fill('--window\n--vidmode\n2');
    await page.getByLabel('Width').fill('100');
    await page.getByLabel('Height').fill('600');
    await page.getByLabel('Frames per second').fill('60');
    await page.getByLabel('Install check: Debian package').fill('chromium-bsu');
    await page.getByLabel(/Cover image/).setInputFiles(cover);
    await page.getByRole('button', { name: 'Register title' }).click();

    const widthError = page.locator('[data-field="resolution.width"] .field-error');
    await widthError.waitFor({ timeout: 10_000 });
    expect(await widthError.textContent()).toMatch(/>=\s*160/);
    expect(await page.getByLabel('Width').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toContain('fix the fields marked in red');
    // Only the refused field is marked.
    expect(await page.locator('.field.invalid').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'studio-field-error.png'), fullPage: true });

    await page.getByLabel('Width').fill('800');
    await page.getByRole('button', { name: 'Register title' }).click();
    await expect.poll(() => page.locator('#form-status').textContent(), { timeout: 10_000 }).toBe('Saved BSU Arcade.');
    expect(await page.locator('.field-error').count()).toBe(0);
    const row = page.locator('tr[data-title-id="bsu-arcade"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('no node offers it yet');
    // The uploaded cover shows in the list.
    await expect.poll(() => row.locator('img.cover').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(460);

    const saved = (await api('GET', '/api/studio/titles/bsu-arcade')) as {
      title: { manifest: { cover: string; args: string[]; resolution: { width: number } } };
    };
    expect(saved.title.manifest.cover).toMatch(/^\/covers\/[0-9a-f]{64}\.png$/);
    expect(saved.title.manifest.args).toEqual(['--window', '--vidmode', '2']);
    expect(saved.title.manifest.resolution.width).toBe(800);
  }, 60_000);

  it('an edge offers the titles it can run; players see the cover, play it, and the studio sees the minutes', async () => {
    const { page } = browser;
    // Two titles no operator should run: a shell, and a program that is not installed.
    const base = { resolution: { width: 800, height: 600 }, fps: 60 };
    expect(
      await api('POST', '/api/studio/titles', { ...base, id: 'shell-game', name: 'Shell', command: 'bash' }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      await api('POST', '/api/studio/titles', { ...base, id: 'absent-game', name: 'Absent', command: 'no-such-game' }),
    ).toMatchObject({ ok: true });

    // The default refresh is a minute: the update below arrives through the broker's nudge.
    await stack.addEdge({ titles: ['latency-probe'] });
    const offered = await stack.waitForLog(
      (line) => line.msg === 'studio title offered' && line.titleId === 'bsu-arcade',
    );
    expect(offered.command).toBe('/usr/games/chromium-bsu');
    const skipped = (titleId: string) =>
      stack.waitForLog((line) => line.msg === 'studio title skipped' && line.titleId === titleId);
    expect(String((await skipped('shell-game')).reason)).toMatch(/not installed \(looked for \/usr\/games\/bash\)/);
    expect(String((await skipped('absent-game')).reason)).toMatch(/not installed/);

    await page.goto(stack.url);
    const card = page.locator('li.title-card[data-title-id="bsu-arcade"]');
    await card.waitFor({ timeout: 15_000 });
    const image = card.locator('img.cover');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(460);
    expect(await image.getAttribute('alt')).toBe('BSU Arcade cover');
    expect(await card.textContent()).toContain('800×600 · 60 fps · by Nebula Arcade');
    // A title without a cover gets a generated one; titles no node can run are not listed.
    expect(await page.locator('li[data-title-id="latency-probe"] .cover.placeholder').textContent()).toBe('LP');
    expect(await page.locator('li[data-title-id="shell-game"], li[data-title-id="absent-game"]').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'catalog-covers.png') });

    // An update reaches the catalog within seconds: the broker nudges the node to fetch again.
    const renamed = await api('PUT', '/api/studio/titles/bsu-arcade', {
      ...((await api('GET', '/api/studio/titles/bsu-arcade')) as { title: { manifest: object } }).title.manifest,
      description: 'Now with a new description.',
    });
    expect(renamed).toMatchObject({ ok: true });
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('li.title-card[data-title-id="bsu-arcade"] p').textContent({ timeout: 5000 });
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe('Now with a new description.');

    await page.getByRole('button', { name: 'Play BSU Arcade' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    const before = await decodedFrames(page);
    await page.waitForTimeout(6000);
    expect((await decodedFrames(page)) - before).toBeGreaterThan(60);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });

    await expect
      .poll(
        async () => ((await api('GET', '/api/studio/titles/bsu-arcade')) as { title: { play: object } }).title.play,
        {
          timeout: 10_000,
        },
      )
      .toMatchObject({ sessions: 1, running: 0 });
    const { play } = (
      (await api('GET', '/api/studio/titles/bsu-arcade')) as {
        title: { play: { playSeconds: number; playMinutes: number } };
      }
    ).title;
    expect(play.playSeconds).toBeGreaterThanOrEqual(6);
    expect(play.playSeconds).toBeLessThan(120);

    // The studio page shows the same.
    await page.goto(`${stack.url}/studio.html`);
    const row = page.locator('tr[data-title-id="bsu-arcade"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('sessions').textContent()).toBe('1');
    expect(await row.getByTestId('play-minutes').textContent()).toBe(`${play.playMinutes.toFixed(1)} min`);
    expect(play.playMinutes).toBeGreaterThan(0);
    expect(await row.textContent()).toContain('offered by a node');
    await page.screenshot({ path: join(SCREENSHOTS, 'studio.png'), fullPage: true });
  }, 120_000);
});
