/**
 * Takes the README's screenshots of every page a person sees, from the real stack in
 * Debian's Chromium: `node --import tsx scripts/screenshots.ts` (after `npm run build:client`).
 * Writes docs/screenshots/*.png.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../e2e/src/browser.js';
import { startLocalChain } from './local-chain.js';
import { LOCAL_KEYSTORE_PATH, startLocalStack } from './local-stack.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });

// As `npm start` runs it: a local chain, so the operator page has earnings to show.
const chainDir = await mkdtemp(join(tmpdir(), 'edgeplay-screenshots-'));
const chain = await startLocalChain(chainDir, {});
const stack = await startLocalStack({
  titles: ['chromium-bsu', 'supertux2', 'latency-probe'],
  maxSessions: 1,
  brokerEnv: chain.brokerEnv,
});
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
  await page.waitForSelector('#overlay[data-fps]:not([data-fps=""])', { state: 'attached', timeout: 30_000 });
  await page.waitForTimeout(2000);
  await shot('play');

  await page.getByRole('button', { name: 'Share watch link' }).click();
  const field = page.getByRole('textbox', { name: 'watch link' });
  while (!(await field.inputValue()).includes('token=')) await page.waitForTimeout(200);
  const watcher = await context.newPage();
  await watcher.setViewportSize({ width: 1400, height: 900 });
  await watcher.goto(await field.inputValue());
  await watcher.waitForSelector('body[data-state="watching"]', { timeout: 30_000 });
  await watcher.waitForTimeout(2000);
  await shot('watch', watcher);
  await watcher.close();

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

  // Close the epoch the session's verified slots went into, then the operator's page.
  await page.waitForTimeout(3000); // the last receipts reach the ledger after the end
  const closed = await fetch(`${stack.url}/api/admin/epochs/close`, {
    method: 'POST',
    headers: { authorization: `Bearer ${String(chain.brokerEnv.ADMIN_TOKEN)}` },
  });
  console.log(`epoch close: ${closed.status} ${await closed.text()}`);
  const operator = (JSON.parse(await readFile(LOCAL_KEYSTORE_PATH, 'utf8')) as { address: string }).address;
  const earnings = await context.newPage();
  await earnings.setViewportSize({ width: 1400, height: 900 });
  await earnings.goto(`${stack.url}/operator.html?address=0x${operator.replace(/^0x/, '')}`);
  await earnings.waitForTimeout(3000);
  await shot('operator', earnings);
  await earnings.close();

  await page.getByRole('button', { name: 'Play Latency probe' }).click();
  await page.waitForSelector('body[data-state="playing"]', { timeout: 60_000 });
  process.kill(stack.edge.pid ?? -1, 'SIGKILL');
  // The only node is gone: the page says so and, with nowhere else to go, ends.
  await page.waitForSelector('body[data-state="node-lost"], body[data-state="ended"]', { timeout: 15_000 });
  await page.waitForTimeout(3000);
  await shot('error');
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await stack.stop();
  await chain.close();
  await rm(chainDir, { recursive: true, force: true });
}
