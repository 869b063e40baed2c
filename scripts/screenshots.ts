/**
 * Takes the README's screenshots of every page a person sees, from the real stack in
 * Debian's Chromium: `node --import tsx scripts/screenshots.ts` (after `npm run build:client`).
 * Writes docs/screenshots/*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../e2e/src/browser.js';
import { startLocalStack } from './local-stack.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });

const stack = await startLocalStack({ titles: ['chromium-bsu', 'supertux2', 'latency-probe'], maxSessions: 1 });
const browser = await launchBrowser();
try {
  const { page, context } = browser;
  const shot = (name: string, target = page) => target.screenshot({ path: join(OUT, `${name}.png`) });

  await page.goto(stack.url);
  await page.getByRole('button', { name: 'Play Chromium B.S.U.' }).waitFor();
  await shot('catalog');

  await page.getByRole('button', { name: 'Play Chromium B.S.U.' }).click();
  await page.waitForSelector('body[data-state="playing"]', { timeout: 60_000 });
  await page.keyboard.down('Enter');
  await page.waitForTimeout(150);
  await page.keyboard.up('Enter');
  for (let i = 0; i < 4; i++) {
    await page.keyboard.down('ArrowLeft');
    await page.waitForTimeout(400);
    await page.keyboard.up('ArrowLeft');
  }
  await page.waitForSelector('#overlay[data-fps]:not([data-fps=""])', { timeout: 15_000 });
  await page.waitForTimeout(2000);
  await shot('play');

  const second = await context.newPage();
  await second.setViewportSize({ width: 1400, height: 900 });
  await second.goto(stack.url);
  await second.getByRole('button', { name: 'Play SuperTux' }).click();
  await second.getByText(/You are number 1 in line/).waitFor({ timeout: 20_000 });
  await shot('queue', second);
  await second.getByRole('button', { name: 'Leave the queue' }).click();

  await page.getByRole('button', { name: 'End session' }).click();
  await page.waitForSelector('body[data-state="ended"]');
  await page.getByRole('region', { name: 'Your session' }).waitFor();
  await shot('summary');

  await page.getByRole('button', { name: 'Play Latency probe' }).click();
  await page.waitForSelector('body[data-state="playing"]', { timeout: 60_000 });
  process.kill(stack.edge.pid ?? -1, 'SIGKILL');
  await page.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
  await shot('error');
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await stack.stop();
}
