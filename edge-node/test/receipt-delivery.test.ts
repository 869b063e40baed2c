import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTicketPayload, type SessionPlacement, type UsageReceipt } from '@edgeplay/shared';
import { createSessionKey, signReceipt } from '@edgeplay/shared/node';
import { createBroker, type Broker } from '../../server/src/broker.js';
import { BrokerConfigSchema } from '../../server/src/config.js';
import { BrokerLink } from '../src/broker/broker-link.js';
import { ReceiptJournal } from '../src/receipts/receipt-journal.js';
import { ReceiptSender } from '../src/receipts/receipt-sender.js';

const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
const TITLE = { id: 'chess', name: 'Chess', resolution: { width: 1280, height: 720 }, fps: 60 };

/**
 * The edge's journal and sender against a real broker, over the real BrokerLink: a
 * receipt written before a crash reaches the ledger after the restart, once; a receipt
 * the broker refuses is dropped, not resent forever; with no broker, receipts wait.
 */
describe('delivering journalled receipts to the broker', () => {
  let broker: Broker;
  let url: string;
  let dir: string;
  let link: BrokerLink;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-delivery-'));
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent' });
    broker = createBroker({ config, logger });
    ({ url } = await broker.start());
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    link?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends what a crashed run journalled once the link is up, once, and drops what the broker refuses', async () => {
    const edgeId = 'edge-delivery';
    link = new BrokerLink({
      brokerUrl: url,
      joinToken: undefined,
      wallet: Wallet.createRandom(),
      registration: () => ({ edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 2 }),
      activeSessions: () => 0,
      logger,
    });
    const page: Socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    closers.push(() => page.close());
    const registered = once(link, 'registered');
    link.connect();
    await registered;
    const key = link.signingKey;
    if (!key) throw new Error('no session key after registering');

    const player = createSessionKey(60 * 60_000);
    const place = async (): Promise<{
      sessionId: string;
      receipt: (side: 'edge' | 'player', seq?: number) => UsageReceipt;
    }> => {
      const placed = (await page.timeout(3000).emitWithAck('session:request', {
        titleId: TITLE.id,
        playerKey: player.publicKeyRaw,
      })) as SessionPlacement & { ok: boolean };
      expect(placed.ok).toBe(true);
      const { iat } = readTicketPayload(placed.ticket);
      // The first 1.5 s of slot `seq` (a whole slot would still be in the future).
      const receipt = (side: 'edge' | 'player', seq = 0): UsageReceipt => ({
        v: 1,
        side,
        sessionId: placed.sessionId,
        edgeId,
        seq,
        from: iat + seq * 10_000,
        to: iat + seq * 10_000 + 1_500,
        frames: 90,
        bitrateKbps: 3_000,
        rttMs: 5,
      });
      return { sessionId: placed.sessionId, receipt };
    };
    const { sessionId, receipt } = await place();

    // A run signs and journals a receipt, and stops before sending it.
    const crashed = await ReceiptJournal.open(dir, edgeId, logger);
    await crashed.append(signReceipt(key, receipt('edge')));
    await crashed.close();

    // The next run: the receipt is sent and acknowledged, and the journal is empty.
    const journal = await ReceiptJournal.open(dir, edgeId, logger);
    closers.push(() => journal.close());
    const sender = new ReceiptSender(journal, link, logger, 100);
    closers.push(() => sender.close());
    expect(journal.pending()).toHaveLength(1);
    await sender.flush();
    expect(journal.pending()).toEqual([]);
    const answer = await page.timeout(3000).emitWithAck('receipt:submit', signReceipt(player, receipt('player')));
    expect(answer).toMatchObject({ ok: true, interval: 'verified', creditedMs: 1_500 });

    // Sent again (an ack lost on the way): a duplicate, acknowledged; a forged one: refused and dropped.
    await journal.append(signReceipt(key, receipt('edge')));
    await journal.append(signReceipt(player, receipt('edge', 1)));
    await sender.flush();
    expect(journal.pending()).toEqual([]);
    const intervals = (await broker.ledger()?.intervals(sessionId)) ?? [];
    expect(intervals.map((interval) => interval.verdict?.status)).toEqual(['verified']);

    // No broker: receipts wait in the journal, and go once it is back.
    const later = await place();
    link.close();
    await journal.append(signReceipt(key, later.receipt('edge')));
    await sender.flush();
    expect(journal.pending()).toHaveLength(1);
    const back = once(link, 'registered');
    link.connect();
    await back;
    await expect.poll(() => journal.pending().length, { timeout: 5_000 }).toBe(0);
    const [stored] = (await broker.ledger()?.intervals(later.sessionId)) ?? [];
    expect(stored?.edge?.receipt).toEqual(later.receipt('edge'));
  });
});
