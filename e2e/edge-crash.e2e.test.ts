import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerStack, type LogLine } from '../scripts/local-stack.js';
import { createKeystore } from '../edge-node/src/identity/keystore.js';
import { Ledger } from '../server/src/ledger/ledger.js';
import { DEFAULT_RATE_CARD } from '../server/src/ledger/rate-card.js';
import { RedisLedger } from '../server/src/ledger/redis-ledger.js';
import { startRedisServer, type RedisServer } from '../server/test/store/redis-server.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { RECORD_PAGE, readRecord } from './src/page-record.js';
import { descendants, isAlive } from './src/process-tree.js';

/** What issue 6 asks of a crashed node: the player is told within 3 s and plays again within 5 s. */
const TOLD_WITHIN_MS = 3_000;
const REPLACED_WITHIN_MS = 5_000;
/** Where the stack's edges journal receipts (scripts/local-stack.ts). */
const JOURNAL_DIR = '.tmp/receipts';

/**
 * `kill -9` of the edge node a player is on, mid-session, with a second node free: the page
 * says plainly that its node was lost within 3 s, is placed on the other node and shows its
 * picture within 5 s of the kill; every process of the killed session dies with it; and the
 * ledger (on Redis) still pays the killed node's operator for every slot both sides signed.
 */
describe('an edge node killed mid-session', () => {
  let dir: string;
  let redis: RedisServer;
  let stack: BrokerStack;
  let browser: Browser;
  const keyPrefix = `e2e-${randomUUID().slice(0, 8)}:`;
  const edges = new Map<string, ChildProcess>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-crash-'));
    redis = await startRedisServer();
    stack = await startBroker({
      logDir: '.tmp/e2e-logs/edge-crash',
      brokerEnv: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: keyPrefix },
    });
    // Two operators, so the ledger shows whose node earned what.
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const keystore = join(dir, 'second-operator.json');
    await createKeystore(keystore, password, { scryptN: 2 ** 10 });
    for (const [service, env] of [
      ['edge-a', {}],
      ['edge-b', { EDGE_KEYSTORE: keystore, EDGE_KEYSTORE_PASSWORD: password }],
    ] as const) {
      const edge = await stack.addEdge({ service, titles: ['latency-probe'], maxSessions: 1, env });
      edges.set(edge.edgeId, edge.process);
    }
    browser = await launchBrowser();
    await browser.context.addInitScript({ content: RECORD_PAGE });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const record = () => readRecord(browser.page);

  it('tells the player within 3 s, plays on another node within 5 s, and pays for every slot both sides signed', async () => {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    const placed = await stack.waitForLog((line) => line.msg === 'player placed');
    const sessionId = String(placed.sessionId);
    const killedEdge = String(placed.edgeId);
    const otherEdge = [...edges.keys()].find((edgeId) => edgeId !== killedEdge) ?? '';
    const operatorOf = (edgeId: string): string =>
      String(stack.logs.find((line) => line.msg === 'edge registered' && line.edgeId === edgeId)?.operator);
    const edgePid = edges.get(killedEdge)?.pid ?? -1;

    const processes = descendants(edgePid);
    const names = processes.map((p) => p.name);
    for (const expected of ['Xvfb', 'python3', 'ffmpeg', 'pulseaudio', 'mediasoup-worker'])
      expect(names).toContain(expected);
    // The probe beeps through pacat, into the session's sound server.
    expect(names).toContain('pacat');
    expect(processes.some((p) => p.args.includes('color-flip.mjs'))).toBe(true);

    // Two whole slots, signed by the page and the edge and credited, then into the third.
    const verified = (): LogLine[] =>
      stack.logs.filter((line) => line.msg === 'interval verified' && line.sessionId === sessionId);
    await expect.poll(() => verified().length, { timeout: 40_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(2_000);

    const exited = new Promise((resolve) => edges.get(killedEdge)?.once('exit', resolve));
    const killedAt = Date.now();
    process.kill(edgePid, 'SIGKILL');
    await exited;

    // The page says its node is gone, then plays on the other one.
    const since = async () => (await record()).states.filter((s) => s.at >= killedAt);
    await expect
      .poll(async () => (await since()).map((s) => s.state), { timeout: 30_000, interval: 100 })
      .toContain('playing');
    const states = await since();
    const lost = states.find((s) => s.state === 'node-lost');
    const playing = states.find((s) => s.state === 'playing');
    // Frames presented after the node was declared lost are the new node's.
    await expect
      .poll(async () => (await record()).frames.filter((at) => at > (lost?.at ?? killedAt)).length, {
        timeout: 10_000,
        interval: 100,
      })
      .toBeGreaterThanOrEqual(30);
    const frames = (await record()).frames.filter((at) => at > (lost?.at ?? killedAt));
    const toldMs = (lost?.at ?? Infinity) - killedAt;
    const firstFrameMs = (frames[0] ?? Infinity) - killedAt;
    console.log(
      `after kill -9: ${states.map((s) => `${s.state} at +${s.at - killedAt} ms`).join(', ')}; ` +
        `first frame from ${otherEdge} at +${firstFrameMs} ms, ${frames.length} frames by +${(frames.at(-1) ?? 0) - killedAt} ms`,
    );
    // Said plainly, while the page finds the player another node.
    expect(lost?.notice).toMatch(/^The game node stopped answering\. (Finding a node|Measuring the latency|Starting)/);
    expect(toldMs).toBeLessThanOrEqual(TOLD_WITHIN_MS);
    expect(playing?.edge).toBe(`Latency probe on ${otherEdge}`);
    expect(firstFrameMs).toBeLessThanOrEqual(REPLACED_WITHIN_MS);
    // The broker took the node out of routing on the page's word and its own, not at the lease.
    await stack.waitForLog(
      (line) => line.msg === 'edge lost: neither its player nor a broker reaches it' && line.edgeId === killedEdge,
      1_000,
    );

    // Children die with their parent (PR_SET_PDEATHSIG; the worker on its closed channel).
    await expect
      .poll(() => processes.filter((p) => isAlive(p.pid)).map((p) => p.name), { timeout: 5000, interval: 50 })
      .toEqual([]);

    // Nothing the killed node signed waits in its journal for a slot the ledger lacks.
    const journal = await readFile(join(JOURNAL_DIR, `${killedEdge}.receipts.jsonl`), 'utf8').catch(() => '');
    const store = await RedisLedger.connect({ url: redis.url, keyPrefix });
    const ledger = new Ledger({ store, rateCard: DEFAULT_RATE_CARD, feeBps: 500, logger: pino({ level: 'silent' }) });
    try {
      const intervals = await ledger.intervals(sessionId);
      const pendingSeqs = journal
        .split('\n')
        .filter((line) => line.includes(sessionId) && line.includes('"receipt"'))
        .map((line) => (JSON.parse(line) as { receipt: { receipt: { seq: number } } }).receipt.receipt.seq);
      const acked = new Set([...journal.matchAll(/"ack":"[^"]+:(\d+)"/g)].map((m) => Number(m[1])));
      for (const seq of pendingSeqs.filter((s) => !acked.has(s))) {
        expect(intervals.find((interval) => interval.seq === seq)?.edge).toBeDefined();
      }
      // Every slot both sides signed is credited, from slot 0 on, none missing.
      const bothSigned = intervals.filter((interval) => interval.player && interval.edge);
      expect(bothSigned.map((interval) => interval.seq)).toEqual(bothSigned.map((_, index) => index));
      expect(bothSigned.length).toBeGreaterThanOrEqual(2);
      let creditedMs = 0;
      for (const interval of bothSigned) {
        expect(interval.verdict?.status).toBe('verified');
        creditedMs += interval.verdict?.creditedMs ?? 0;
      }
      const closed = await ledger.closeEpoch();
      const killedOperator = operatorOf(killedEdge);
      expect(killedOperator).not.toBe(operatorOf(otherEdge));
      expect(closed.operators.get(killedOperator)?.verifiedMs).toBe(creditedMs);
      expect(closed.amounts.get(killedOperator)).toBeGreaterThan(0n);
      console.log(
        `the killed node's operator ${killedOperator} is credited ${creditedMs} ms for slots ` +
          `${bothSigned.map((interval) => interval.seq).join(', ')} (${String(closed.amounts.get(killedOperator))} base units)`,
      );
    } finally {
      await store.close();
    }
  });
});
