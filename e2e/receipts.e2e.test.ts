import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptSigningMessage } from '@edgeplay/shared';
import { startLocalStack, type LocalStack, type LogLine } from '../scripts/local-stack.js';
import { Ledger } from '../server/src/ledger/ledger.js';
import { DEFAULT_RATE_CARD } from '../server/src/ledger/rate-card.js';
import { RedisLedger } from '../server/src/ledger/redis-ledger.js';
import { startRedisServer, type RedisServer } from '../server/test/store/redis-server.js';
import { launchBrowser, type Browser } from './src/browser.js';

const PLAY_MS = 25_000;

/**
 * Usage receipts from a real session: Chromium plays Chromium B.S.U. through the real
 * stack (broker on Redis, edge node, mediasoup, WebRTC); the page and the edge each sign
 * a receipt per 10 s slot, and the broker's ledger credits the slots both agree on to the
 * edge's operator, which closing the epoch turns into an amount.
 */
describe('usage receipts from a session played in the browser', () => {
  let redis: RedisServer;
  let stack: LocalStack;
  let browser: Browser;
  const keyPrefix = `e2e-${randomUUID().slice(0, 8)}:`;

  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startLocalStack({
      titles: ['chromium-bsu'],
      logDir: '.tmp/e2e-logs/receipts',
      brokerEnv: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: keyPrefix },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await redis?.close();
  });

  it(`credits ≥ 2 slots of a ${PLAY_MS / 1000} s session to the edge’s operator, each signed by both sides`, async () => {
    const { page } = browser;
    const operator = String((await stack.waitForLog((line) => line.msg === 'operator wallet loaded')).operator);
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Chromium B.S.U.' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    const { sessionId } = await stack.waitForLog((line) => line.msg === 'player placed');
    await page.waitForTimeout(PLAY_MS);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]');

    const verified = (): LogLine[] =>
      stack.logs.filter((line) => line.msg === 'interval verified' && line.sessionId === sessionId);
    // The last slots' receipts arrive after the session ends (the edge's when its consumer closes).
    await expect.poll(() => verified().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const mismatches = stack.logs.filter((line) => line.msg === 'interval mismatch' && line.sessionId === sessionId);
    const rejected = stack.logs.filter((line) => line.msg === 'broker rejected a receipt');
    console.log(
      `verified slots: ${verified()
        .map((line) => `${String(line.seq)}: ${String(line.creditedMs)} ms at ${String(line.qualityBps)} bps`)
        .join(', ')}; mismatches: ${mismatches.length}; edge receipts rejected: ${rejected.length}; page: ` +
        JSON.stringify(await page.evaluate(() => ({ ...document.body.dataset }))),
    );
    for (const line of verified()) expect(line.operator).toBe(operator);
    expect(mismatches).toEqual([]);
    expect(rejected).toEqual([]);

    // What the broker's operator sees on /metrics: both sides' receipts accepted.
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const accepted = (side: string): number => {
      const series = `edgeplay_receipts_total{side="${side}",outcome="accepted"} `;
      const line = metrics.split('\n').find((candidate) => candidate.startsWith(series));
      return Number(line?.slice(series.length) ?? 0);
    };
    expect(accepted('player')).toBeGreaterThanOrEqual(verified().length);
    expect(accepted('edge')).toBeGreaterThanOrEqual(verified().length);

    // The ledger itself, read straight from Redis: both sides' signed receipts for each slot.
    const store = await RedisLedger.connect({ url: redis.url, keyPrefix });
    const ledger = new Ledger({ store, rateCard: DEFAULT_RATE_CARD, feeBps: 500, logger: pino({ level: 'silent' }) });
    try {
      const parties = await ledger.session(String(sessionId));
      const intervals = (await ledger.intervals(String(sessionId))).filter(
        (interval) => interval.verdict?.status === 'verified',
      );
      expect(intervals.length).toBeGreaterThanOrEqual(2);
      let creditedMs = 0;
      for (const { player, edge, verdict } of intervals) {
        expect(player?.signer).toBe(parties?.playerKey);
        expect(edge?.signer).toBe(parties?.edgeSessionKey);
        expect(player?.receipt.frames).toBeGreaterThan(0);
        expect(edge?.receipt.frames).toBeGreaterThan(0);
        expect(player && receiptSigningMessage(player.receipt)).toMatch(/^edgeplay-receipt:v1:player:/);
        creditedMs += verdict?.creditedMs ?? 0;
      }
      expect(creditedMs).toBeGreaterThanOrEqual(15_000);
      // Closing the epoch pays the operator for what was verified (cpu rate on this machine).
      const closed = await ledger.closeEpoch();
      expect(closed.operators.get(operator)?.verifiedMs).toBe(creditedMs);
      expect(closed.amounts.get(operator)).toBeGreaterThan(0n);
      console.log(
        `epoch ${closed.epoch}: ${operator} verified ${creditedMs} ms, earned ${String(closed.amounts.get(operator))} base units (fee ${String(closed.totalFee)})`,
      );
    } finally {
      await store.close();
    }
  });
});
