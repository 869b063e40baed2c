import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUnits, type Contract, type JsonRpcProvider, type Wallet } from 'ethers';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractAt, createProvider } from '@edgeplay/chain';
import {
  EpochClosedSchema,
  OperatorEarningsSchema,
  RECEIPT_PERIOD_MS,
  summarizeTitle,
  TitleManifestSchema,
  type EpochPublish,
  type OperatorEarnings,
  type SignedReceipt,
  type UsageReceipt,
} from '@edgeplay/shared';
import { ATH_DECIMALS, formatAth } from '@edgeplay/shared/payouts';
import { createKeystore } from '../edge-node/src/identity/keystore.js';
import type { IntervalRecord } from '../server/src/ledger/ledger-store.js';
import { qualityFactorBps } from '../server/src/ledger/quality-factor.js';
import { DEFAULT_RATE_CARD } from '../server/src/ledger/rate-card.js';
import { RedisLedger } from '../server/src/ledger/redis-ledger.js';
import { startRedisServer, type RedisServer } from '../server/test/store/redis-server.js';
import { startLocalChain, type LocalChain } from '../scripts/local-chain.js';
import { startBroker, type BrokerStack, type LogLine } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { runEdgeNodeClaim, type ClaimRun } from './src/edge-node-claim.js';
import { InflatingEdge } from './src/inflating-edge.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'edge-node', 'test', 'fixtures', 'nvidia-smi');
const PASSWORD = 'settlement-operator-password';
/** PROTOCOL_FEE_BPS's default, which the broker runs with here as under `npm start`. */
const FEE_BPS = 500n;
/**
 * The inflating edge sends its receipt for a slot this long before the slot ends, ahead of the
 * real edge's (sent at the end); the broker takes receipts ending up to 2 s in its future.
 */
const LEAD_MS = 1_200;
/** How far past the slot's end the inflating edge stretches its interval (the broker allows 2 s). */
const STRETCH_MS = 500;

interface Operator {
  label: string;
  fixture: string;
  /** The class nvidia-smi's model name becomes, and what the rate card pays for it. */
  gpuClass: string;
  gpuModels: string[];
  ratePerMinute: bigint;
  title: { id: string; name: string; manifest: string };
  wallet: Wallet;
  keystore: string;
  edgeId: string;
  service: string;
}

/**
 * Settlement end to end, on nothing but real parts: anvil with the contracts and a funded
 * pool, the broker (ledger and payout store in Redis), two edge nodes whose fake nvidia-smi
 * report an H100 and two L4s, each with its own operator wallet, and Chromium. A player plays
 * a session on each edge; the L4's operator inflates its edge's receipts with a key its wallet
 * authorised; a page's and an edge's tampered receipts are refused. The epoch is closed through
 * the admin route, and each operator claims on chain exactly what the test computes from the
 * rate card, the slots both sides agreed on and the fee.
 */
describe('settlement: verified minutes to ATH claimed on chain', () => {
  let dir: string;
  let redis: RedisServer;
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let stack: BrokerStack;
  let ledger: RedisLedger;
  let browser: Browser;
  let token: Contract;
  let distributor: Contract;
  let rogue: InflatingEdge | undefined;
  const sockets: Socket[] = [];
  const keyPrefix = `e2e-${randomUUID().slice(0, 8)}:`;

  // A plays honestly on an H100 (paid as `h100`: the longest rate-card class its name extends);
  // B's operator inflates on an L4. Different titles, so each player is placed on the edge meant.
  const a = {
    label: 'A',
    fixture: 'h100-sxm.xml',
    gpuClass: 'h100-80gb-hbm3',
    gpuModels: ['NVIDIA H100 80GB HBM3'],
    ratePerMinute: DEFAULT_RATE_CARD.h100 as bigint,
    title: { id: 'chromium-bsu', name: 'Chromium B.S.U.', manifest: 'chromium-bsu.json' },
  } as Operator;
  const b = {
    label: 'B',
    fixture: 'l4-x2.xml',
    gpuClass: 'l4',
    gpuModels: ['NVIDIA L4', 'NVIDIA L4'],
    ratePerMinute: DEFAULT_RATE_CARD.l4 as bigint,
    title: { id: 'latency-probe', name: 'Latency probe', manifest: 'probe.json' },
  } as Operator;

  /** What the tests below learn and later ones check. */
  const seen = {
    sessionA: '',
    sessionB: '',
    /** B's slots: the last honest one, then each kind of inflated receipt its operator sent. */
    honestSeq: -1,
    stretchedSeq: -1,
    overcountedSeq: -1,
    outlastedSeq: -1,
    unsignedSeq: -1,
    /** Sent after B's session ended, while A plays. */
    afterTheEnd: Promise.resolve(),
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-settlement-'));
    redis = await startRedisServer();
    chain = await startLocalChain(join(dir, 'chain'), {});
    provider = createProvider(chain.rpcUrl, Number(chain.brokerEnv.CHAIN_ID));
    token = await contractAt('AthToken', String(chain.brokerEnv.ATH_TOKEN_ADDRESS), provider);
    distributor = await contractAt('RewardDistributor', String(chain.brokerEnv.REWARD_DISTRIBUTOR_ADDRESS), provider);
    // As `npm start` wires it: the chain's env (RPC, addresses, publisher key, ADMIN_TOKEN); plus
    // Redis, so that this test can read the ledger the broker keeps.
    stack = await startBroker({
      logDir: '.tmp/e2e-logs/settlement',
      brokerEnv: { ...chain.brokerEnv, REDIS_URL: redis.url, REDIS_KEY_PREFIX: keyPrefix },
    });
    for (const operator of [a, b]) {
      operator.keystore = join(dir, `operator-${operator.label}.json`);
      operator.wallet = await createKeystore(operator.keystore, PASSWORD, { scryptN: 2 ** 10 });
      await chain.fundOperator(operator.wallet.address); // gas money for the claim
      // The edge's own nvidia-smi is a script printing the fixture: first on its PATH.
      const bin = join(dir, `bin-${operator.label}`);
      await mkdir(bin);
      await writeFile(join(bin, 'nvidia-smi'), `#!/bin/sh\ncat '${join(FIXTURES, operator.fixture)}'\n`);
      await chmod(join(bin, 'nvidia-smi'), 0o755);
      operator.service = `edge-${operator.label.toLowerCase()}`;
      const edge = await stack.addEdge({
        service: operator.service,
        titles: [operator.title.id],
        maxSessions: 1,
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          EDGE_KEYSTORE: operator.keystore,
          EDGE_KEYSTORE_PASSWORD: PASSWORD,
        },
      });
      operator.edgeId = edge.edgeId;
    }
    ledger = await RedisLedger.connect({ url: redis.url, keyPrefix });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await seen.afterTheEnd.catch(() => undefined);
    rogue?.close();
    for (const socket of sockets) socket.close();
    await browser?.close();
    await stack?.stop();
    await ledger?.close();
    provider?.destroy();
    await chain?.close();
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sleepUntil = (at: number): Promise<void> =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
  const logsOf = (msg: string, sessionId: string): LogLine[] =>
    stack.logs.filter((line) => line.msg === msg && line.sessionId === sessionId);
  const slotOf = async (sessionId: string, seq: number): Promise<IntervalRecord | undefined> =>
    (await ledger.intervals(sessionId)).find((interval) => interval.seq === seq);
  /** Waits until the ledger has slot `seq` of the session with `what` in it. */
  async function waitForSlot(
    sessionId: string,
    seq: number,
    what: (slot: IntervalRecord) => boolean,
    timeout = 20_000,
  ): Promise<IntervalRecord> {
    let found: IntervalRecord | undefined;
    await expect
      .poll(
        async () => {
          found = await slotOf(sessionId, seq);
          return found !== undefined && what(found);
        },
        { timeout, interval: 100 },
      )
      .toBe(true);
    return found as IntervalRecord;
  }
  const overlapMs = (x: UsageReceipt, y: UsageReceipt): number =>
    Math.max(0, Math.min(x.to, y.to) - Math.max(x.from, y.from));

  /** Opens the catalog, plays `operator`'s title, and returns the session the broker placed. */
  async function play(operator: Operator): Promise<string> {
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: `Play ${operator.title.name}` }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    const placed = await stack.waitForLog((line) => line.msg === 'player placed' && line.titleId === operator.title.id);
    expect(placed.edgeId).toBe(operator.edgeId);
    return String(placed.sessionId);
  }

  async function endSession(): Promise<void> {
    await browser.page.getByRole('button', { name: 'End session' }).click();
    await browser.page.waitForSelector('body[data-state="ended"]');
  }

  it('each edge joins with its own operator and the GPU class its nvidia-smi reports', async () => {
    for (const operator of [a, b]) {
      const joined = await stack.waitForLog(
        (line) => line.msg === 'edge registered' && line.edgeId === operator.edgeId,
      );
      expect(joined.operator).toBe(operator.wallet.address);
      expect(joined.gpuClass).toBe(operator.gpuClass);
      expect(joined.gpus).toEqual(operator.gpuModels);
    }
    expect(a.wallet.address).not.toBe(b.wallet.address);
  });

  it('B’s operator inflates its edge’s receipts while its player plays', async () => {
    // B's operator joins a second connection under its edge's id, as the edge itself would,
    // declaring what the edge declared so that placement is unchanged.
    const signaling = await stack.waitForLog(
      (line) => line.service === b.service && line.msg === 'signaling listening',
    );
    const manifest = TitleManifestSchema.parse(
      JSON.parse(await readFile(join(ROOT, 'edge-node', 'titles', b.title.manifest), 'utf8')),
    );
    rogue = await InflatingEdge.join(stack.url, b.wallet, {
      edgeId: b.edgeId,
      signalingUrl: String(signaling.signalingUrl),
      titles: [summarizeTitle(manifest)],
      maxSessions: 1,
      gpuClass: b.gpuClass,
    });
    const inflating = rogue;

    const sessionId = await play(b);
    seen.sessionB = sessionId;
    const parties = await ledger.session(sessionId);
    expect(parties).toMatchObject({ edgeId: b.edgeId, operator: b.wallet.address, gpuClass: b.gpuClass });
    const anchorAt = parties?.anchorAt ?? 0;
    const titleFps = parties?.titleFps ?? 0;
    const slotEnd = (seq: number): number => anchorAt + (seq + 1) * RECEIPT_PERIOD_MS;
    const edgeReceipt = (seq: number, from: number, to: number, frames: number, like: UsageReceipt): UsageReceipt => ({
      v: 1,
      side: 'edge',
      sessionId,
      edgeId: b.edgeId,
      seq,
      from,
      to,
      frames,
      bitrateKbps: like.bitrateKbps,
      rttMs: like.rttMs,
    });

    // First the edge's honest receipts: a slot both sides signed.
    const firstVerified = await stack.waitForLog(
      (line) => line.msg === 'interval verified' && line.sessionId === sessionId,
      30_000,
    );
    // 1. More time and more frames: the slot stretched 0.5 s past its end, and 5 % more frames
    //    than the title's full rate over that. The judge lets an edge report up to 1.25× the
    //    frames its player received but a player only 1.02× the edge's, so this claim passes for
    //    a player receiving 53–67 fps (a slot after a slow start can carry a catch-up burst of
    //    66 fps: the previous slot's rate is no safe guide). Sent before the edge's own receipt
    //    for the slot (which the broker then refuses as a conflict); should the edge get there
    //    first, the next slot is tried.
    let stretched: UsageReceipt | undefined;
    for (let seq = Number(firstVerified.seq) + 1; !stretched && seq <= Number(firstVerified.seq) + 3; seq += 1) {
      const previous = await waitForSlot(sessionId, seq - 1, (slot) => Boolean(slot.player && slot.edge));
      const edge = (previous.edge as SignedReceipt).receipt;
      await sleepUntil(slotEnd(seq) - LEAD_MS);
      // From where the edge's last accepted receipt ended: the broker wants each side's intervals in order.
      const to = slotEnd(seq) + STRETCH_MS;
      const receipt = edgeReceipt(seq, edge.to, to, Math.round((1.05 * titleFps * (to - edge.to)) / 1000), edge);
      const [result] = await inflating.submit(receipt);
      if (result?.status === 'accepted') {
        stretched = receipt;
        seen.honestSeq = seq - 1;
      } else expect(result).toMatchObject({ status: 'rejected', code: 'RECEIPT_CONFLICT' });
    }
    expect(stretched, 'the inflating edge never got its receipt in before the real edge’s').toBeDefined();
    const stretchedSeq = (stretched as UsageReceipt).seq;
    seen.stretchedSeq = stretchedSeq;

    // 2. Twice the frames the title can even show in the next slot. The real edge's receipts
    //    from here on start before the stretched one ended, so the broker refuses them as out of order.
    seen.overcountedSeq = stretchedSeq + 1;
    await sleepUntil(slotEnd(seen.overcountedSeq) - LEAD_MS);
    const overFrom = (stretched as UsageReceipt).to;
    const overTo = slotEnd(seen.overcountedSeq) + STRETCH_MS;
    const overcounted = edgeReceipt(
      seen.overcountedSeq,
      overFrom,
      overTo,
      Math.round((2 * titleFps * (overTo - overFrom)) / 1000),
      stretched as UsageReceipt,
    );
    // Ahead of the page's receipt it waits for it; behind it (a late timer), it completes the slot: a mismatch.
    const [overResult] = await inflating.submit(overcounted);
    expect(overResult?.status === 'accepted' ? 'accepted' : overResult?.code).toMatch(/^(accepted|RECEIPT_MISMATCH)$/);

    // The player leaves 2.5 s into the next slot: the page signs that partial slot.
    await sleepUntil(slotEnd(seen.overcountedSeq) + 2_500);
    await endSession();

    // 3. The edge says the game went on for 7 s of that slot; 4. it claims the whole next slot,
    //    which no player signed. Sent once the broker's clock allows, while A's player plays.
    seen.outlastedSeq = seen.overcountedSeq + 1;
    seen.unsignedSeq = seen.outlastedSeq + 1;
    const outlasted = edgeReceipt(seen.outlastedSeq, overTo, overTo + 7_000, 7 * titleFps, overcounted);
    const unsignedFrom = slotEnd(seen.outlastedSeq);
    const unsigned = edgeReceipt(seen.unsignedSeq, unsignedFrom, unsignedFrom + 5_000, 5 * titleFps, overcounted);
    seen.afterTheEnd = (async () => {
      await sleepUntil(outlasted.to - LEAD_MS);
      // The page's last receipt is in by now, so this one completes the slot: a mismatch, refused.
      const [result] = await inflating.submit(outlasted);
      expect(result?.status === 'accepted' ? 'accepted' : result?.code).toMatch(/^(accepted|RECEIPT_MISMATCH)$/);
      await sleepUntil(unsigned.to - LEAD_MS);
      expect(await inflating.submit(unsigned)).toEqual([{ status: 'accepted' }]);
    })();
    // Awaited by the next test; kept from counting as unhandled should it fail before then.
    seen.afterTheEnd.catch(() => undefined);
  }, 120_000);

  it('A’s player plays an honest session on the H100 edge', async () => {
    const sessionId = await play(a);
    seen.sessionA = sessionId;
    const parties = await ledger.session(sessionId);
    expect(parties).toMatchObject({ edgeId: a.edgeId, operator: a.wallet.address, gpuClass: a.gpuClass });
    const slotEnd = (seq: number): number => (parties?.anchorAt ?? 0) + (seq + 1) * RECEIPT_PERIOD_MS;
    // Two slots verified, then the player leaves 3 s into the next: a partial slot both sides report.
    await expect
      .poll(() => logsOf('interval verified', sessionId).length, { timeout: 40_000 })
      .toBeGreaterThanOrEqual(2);
    const last = Number(logsOf('interval verified', sessionId).at(-1)?.seq);
    await sleepUntil(slotEnd(last) + 3_000);
    await endSession();
    await waitForSlot(sessionId, last + 1, (slot) => slot.verdict !== undefined);
    await seen.afterTheEnd;
    await waitForSlot(seen.sessionB, seen.outlastedSeq, (slot) => slot.verdict !== undefined);
    await waitForSlot(seen.sessionB, seen.unsignedSeq, (slot) => slot.edge !== undefined);
  }, 120_000);

  it('refuses a page’s and an edge’s tampered receipt with RECEIPT_INVALID, and nothing changes', async () => {
    const snapshot = async () => ({
      a: await ledger.intervals(seen.sessionA),
      b: await ledger.intervals(seen.sessionB),
      epoch: await ledger.currentEpoch(),
    });
    const before = await snapshot();

    // The page's receipt for the slot it ended in, moved to the slot only the edge claims:
    // accepted, it would complete that slot.
    const ended = (await slotOf(seen.sessionB, seen.outlastedSeq))?.player as SignedReceipt;
    const moved: SignedReceipt = { ...ended, receipt: { ...ended.receipt, seq: seen.unsignedSeq } };
    const player = io(stack.url, { transports: ['websocket'], reconnection: false });
    sockets.push(player);
    const answer: unknown = await player.timeout(5_000).emitWithAck('receipt:submit', moved);
    expect(answer).toMatchObject({ ok: false, code: 'RECEIPT_INVALID', message: expect.stringMatching(/signature/) });

    // The real edge's honest receipt with its frames doubled, over the edge namespace.
    const honest = (await slotOf(seen.sessionB, seen.honestSeq))?.edge as SignedReceipt;
    const doubled: SignedReceipt = { ...honest, receipt: { ...honest.receipt, frames: honest.receipt.frames * 2 } };
    const [result] = await (rogue as InflatingEdge).send([doubled]);
    expect(result).toMatchObject({
      status: 'rejected',
      code: 'RECEIPT_INVALID',
      message: expect.stringMatching(/signature/),
    });

    expect(await snapshot()).toEqual(before);
  });

  /** Σ creditedMs × qualityBps over the slots the test finds verified, after checking each. */
  async function verifiedWork(operator: Operator, sessionId: string): Promise<{ ms: number; weighted: bigint }> {
    let ms = 0;
    let weighted = 0n;
    for (const slot of await ledger.intervals(sessionId)) {
      if (slot.verdict?.status !== 'verified') continue;
      const player = (slot.player as SignedReceipt).receipt;
      const edge = (slot.edge as SignedReceipt).receipt;
      // Time only as far as the player's interval confirms it; quality from what the player received.
      const credited = overlapMs(player, edge);
      expect(slot.verdict.creditedMs).toBe(credited);
      expect(credited).toBeLessThanOrEqual(player.to - player.from);
      const fps = (player.frames * 1000) / (player.to - player.from);
      const titleFps = (await ledger.session(sessionId))?.titleFps ?? 0;
      expect(slot.verdict.qualityBps).toBe(qualityFactorBps({ fps, titleFps, rttMs: player.rttMs ?? edge.rttMs }));
      expect(slot.verdict).toMatchObject({ operator: operator.wallet.address, gpuClass: operator.gpuClass, epoch: 1 });
      ms += credited;
      weighted += BigInt(credited) * BigInt(slot.verdict.qualityBps);
    }
    return { ms, weighted };
  }

  interface Expected {
    ms: number;
    slots: number;
    mismatches: number;
    net: bigint;
  }
  const expected = new Map<Operator, Expected>();

  it('credits B only what its player confirmed, and A every slot its player signed', async () => {
    const slotsB = await ledger.intervals(seen.sessionB);
    const slot = (seq: number) => slotsB.find((interval) => interval.seq === seq) as IntervalRecord;
    const stretched = slot(seen.stretchedSeq);
    expect(stretched.edge?.signer).toBe(rogue?.key.publicKeyRaw);
    // Verified when the claimed frames are within the judge's tolerance of what the player
    // received (they are sized for 53–67 fps); on a loaded machine the player may receive fewer,
    // and the slot is a frames mismatch. Either way the stretched time is not paid: verified
    // credits only the overlap with the player's interval, a mismatch credits nothing.
    expect(['verified', 'mismatch']).toContain(stretched.verdict?.status);
    if (stretched.verdict?.status === 'mismatch') expect(stretched.verdict.reason).toMatch(/frames/);
    const claimedMs = (stretched.edge as SignedReceipt).receipt.to - (stretched.edge as SignedReceipt).receipt.from;
    const confirmedMs =
      (stretched.player as SignedReceipt).receipt.to - (stretched.player as SignedReceipt).receipt.from;
    expect(stretched.verdict?.creditedMs).toBeLessThanOrEqual(confirmedMs);
    expect(stretched.verdict?.creditedMs).toBeLessThan(claimedMs);
    expect(slot(seen.overcountedSeq).verdict).toMatchObject({ status: 'mismatch', creditedMs: 0 });
    expect(slot(seen.overcountedSeq).verdict?.reason).toMatch(/frames/);
    expect(slot(seen.outlastedSeq).verdict).toMatchObject({ status: 'mismatch', creditedMs: 0 });
    expect(slot(seen.outlastedSeq).verdict?.reason).toMatch(/overlap/);
    expect(slot(seen.unsignedSeq).player).toBeUndefined();
    expect(slot(seen.unsignedSeq).verdict).toBeUndefined();
    expect(slot(seen.unsignedSeq).edge?.signer).toBe(rogue?.key.publicKeyRaw);

    // The real B edge's receipts from the stretched slot on were refused; A's all went in.
    const refused = stack.logs.filter((line) => line.msg === 'broker rejected a receipt');
    expect(refused.filter((line) => line.service === a.service)).toEqual([]);
    for (const line of refused.filter((entry) => entry.service === b.service)) {
      expect(line.sessionId).toBe(seen.sessionB);
      expect(Number(line.seq)).toBeGreaterThanOrEqual(seen.stretchedSeq);
      expect(['RECEIPT_CONFLICT', 'RECEIPT_OUT_OF_ORDER']).toContain(line.code);
    }

    const edgeClaimedMs = slotsB.reduce((sum, { edge }) => sum + (edge ? edge.receipt.to - edge.receipt.from : 0), 0);
    for (const [operator, sessionId] of [
      [a, seen.sessionA],
      [b, seen.sessionB],
    ] as const) {
      const work = await verifiedWork(operator, sessionId);
      const verifiedSlots = (await ledger.intervals(sessionId)).filter((s) => s.verdict?.status === 'verified');
      // A's player signed every slot; B's has its honest slot, and the stretched one when it was verified.
      expect(verifiedSlots.length).toBeGreaterThanOrEqual(operator === a ? 2 : 1);
      const gross = (operator.ratePerMinute * work.weighted) / (60_000n * 10_000n);
      const net = (gross * (10_000n - FEE_BPS)) / 10_000n;
      const mismatches = (await ledger.intervals(sessionId)).filter((s) => s.verdict?.status === 'mismatch').length;
      expected.set(operator, { ms: work.ms, slots: verifiedSlots.length, mismatches, net });
      console.log(
        `operator ${operator.label} (${operator.gpuClass}): ${verifiedSlots.length} verified slots ` +
          `[${verifiedSlots.map((s) => `${s.seq}: ${s.verdict?.creditedMs} ms @ ${s.verdict?.qualityBps} bps`).join(', ')}], ` +
          `${work.ms} ms → gross ${gross}, net ${net} base units (${formatUnits(net, 18)} ATH)`,
      );
    }
    console.log(
      `B's edge claimed ${edgeClaimedMs} ms over ${slotsB.filter((s) => s.edge).length} slots; its player confirmed ` +
        `${slotsB.reduce((sum, { player }) => sum + (player ? player.receipt.to - player.receipt.from : 0), 0)} ms; ` +
        `paid for ${expected.get(b)?.ms} ms. Refused real-edge receipts: ${refused.map((l) => `${String(l.seq)} ${String(l.code)}`).join(', ')}`,
    );
    expect(expected.get(b)?.ms).toBeLessThan(edgeClaimedMs);
  });

  async function earningsOf(operator: Operator): Promise<OperatorEarnings> {
    const response = await fetch(`${stack.url}/api/operators/${operator.wallet.address}/earnings`);
    expect(response.status).toBe(200);
    return OperatorEarningsSchema.parse(await response.json());
  }

  const balanceOf = async (address: string): Promise<bigint> =>
    (await token.getFunction('balanceOf')(address)) as bigint;

  const edgeNodeClaim = (operator: Operator): Promise<ClaimRun> =>
    runEdgeNodeClaim({ brokerUrl: stack.url, keystore: operator.keystore, password: PASSWORD });

  it('closes the epoch; each operator claims exactly what it earned, and only once', async () => {
    const close = await fetch(`${stack.url}/api/admin/epochs/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(chain.brokerEnv.ADMIN_TOKEN)}` },
    });
    const body: unknown = await close.json();
    expect(close.status, JSON.stringify(body)).toBe(200);
    const publish: EpochPublish = EpochClosedSchema.parse(body).publish;
    const expectA = expected.get(a) as Expected;
    const expectB = expected.get(b) as Expected;
    expect(publish).toMatchObject({ epoch: 1, status: 'confirmed', operators: 2, total: expectA.net + expectB.net });
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/^edgeplay_payout_epochs\{status="confirmed"\} 1$/m);
    expect(metrics).toMatch(/^edgeplay_payout_epochs\{status="failed"\} 0$/m);

    // The ledger's own record of the close agrees with the test, operator by operator.
    const record = await ledger.epochClose(1);
    expect(record?.feeBps).toBe(Number(FEE_BPS));
    for (const [operator, figures] of [
      [a, expectA],
      [b, expectB],
    ] as const) {
      const entry = record?.operators.find((o) => o.operator === operator.wallet.address);
      expect(entry).toMatchObject({
        verifiedMs: figures.ms,
        intervals: figures.slots,
        mismatches: figures.mismatches,
        net: `${figures.net}`,
      });

      const earnings = await earningsOf(operator);
      expect(earnings.epochs).toHaveLength(1);
      expect(earnings.epochs[0]).toMatchObject({
        epoch: 1,
        amount: figures.net,
        cumulative: figures.net,
        status: 'confirmed',
      });
      expect(earnings.epochs[0]?.verifiedMinutes).toBeCloseTo(figures.ms / 60_000, 9);
      expect(earnings).toMatchObject({ claimed: 0n, claimable: figures.net, pending: 0n });
      expect(earnings.proof).toMatchObject({ epoch: 1, root: publish.root, cumulativeAmount: figures.net });
    }

    // A claims with `edge-node claim`, as an operator would from its node's machine.
    const beforeA = await balanceOf(a.wallet.address);
    const claimA = await edgeNodeClaim(a);
    expect(claimA.stderr).toBe('');
    expect(claimA.code).toBe(0);
    expect(claimA.stdout).toContain(`Claimed ${formatAth(expectA.net, ATH_DECIMALS)} ATH for ${a.wallet.address}.`);
    const txA = /Transaction (0x[0-9a-f]{64})/.exec(claimA.stdout)?.[1] as string;
    const receiptA = await provider.getTransactionReceipt(txA);
    expect(receiptA).toMatchObject({ status: 1, from: a.wallet.address });
    expect((await balanceOf(a.wallet.address)) - beforeA).toBe(expectA.net);

    // B calls the distributor itself, with the proof the earnings route served.
    const proof = (await earningsOf(b)).proof;
    const walletB = b.wallet.connect(provider);
    const claimB = distributor.connect(walletB).getFunction('claim');
    const beforeB = await balanceOf(b.wallet.address);
    const txB = await claimB(b.wallet.address, proof?.cumulativeAmount, proof?.proof);
    const receiptB = await txB.wait();
    expect(receiptB?.status).toBe(1);
    expect((await balanceOf(b.wallet.address)) - beforeB).toBe(expectB.net);

    // Twice pays nothing: `edge-node claim` says so and exits 3; the contract reverts NothingToClaim.
    const againA = await edgeNodeClaim(a);
    expect(againA.code).toBe(3);
    expect(againA.stderr).toBe(
      `edge-node claim: nothing to claim for ${a.wallet.address} (${formatAth(expectA.net, ATH_DECIMALS)} ATH claimed already)\n`,
    );
    await expect(claimB.staticCall(b.wallet.address, proof?.cumulativeAmount, proof?.proof)).rejects.toMatchObject({
      revert: { name: 'NothingToClaim', args: [b.wallet.address, expectB.net, expectB.net] },
    });
    expect((await balanceOf(a.wallet.address)) - beforeA).toBe(expectA.net);
    expect((await balanceOf(b.wallet.address)) - beforeB).toBe(expectB.net);
    expect(await distributor.getFunction('claimed')(b.wallet.address)).toBe(expectB.net);
    console.log(
      `epoch 1 root ${publish.root}: A claimed ${formatUnits(expectA.net, 18)} ATH (edge-node claim, gas ${receiptA?.gasUsed}), ` +
        `B claimed ${formatUnits(expectB.net, 18)} ATH (RewardDistributor.claim, gas ${receiptB?.gasUsed})`,
    );
  }, 90_000);
});
