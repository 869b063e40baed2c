import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Wallet } from 'ethers';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTicketPayload, type SessionPlacement, type UsageReceipt } from '@edgeplay/shared';
import { createSessionKey, signJoinProof, signReceipt, type SessionKey } from '@edgeplay/shared/node';
import { createBroker, type Broker } from '../../src/broker.js';
import { BrokerConfigSchema } from '../../src/config.js';
import { connectSocket } from '../connect-socket.js';
import { startDurableRedis, type DurableRedis } from './durable-redis.js';

const TITLE = { id: 'chess', name: 'Chess', resolution: { width: 1280, height: 720 }, fps: 60 };
const ATH = 10n ** 18n;

type Answer = { ok: boolean; code?: string; [key: string]: unknown };

/** Receipts reach the broker's ledger over the real sockets, and survive the broker's restart. */
describe('receipts through the broker', () => {
  let redis: DurableRedis;
  const sockets: Socket[] = [];
  const brokers: Broker[] = [];
  const prefix = `test-${randomUUID().slice(0, 8)}:`;
  const operator = Wallet.createRandom();
  const edgeId = `edge-${randomUUID().slice(0, 8)}`;

  const ask = (socket: Socket, event: string, payload: unknown): Promise<Answer> =>
    socket.timeout(3000).emitWithAck(event, payload) as Promise<Answer>;

  const startBroker = async (): Promise<{ broker: Broker; url: string }> => {
    const config = BrokerConfigSchema.parse({
      port: 0,
      clientDir: '/nonexistent',
      redisUrl: redis.url,
      redisKeyPrefix: prefix,
      rateCard: 'cpu=600000000000000000',
    });
    const broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    brokers.push(broker);
    return { broker, url: (await broker.start()).url };
  };

  /** Joins as the edge would, keeping the session key it authorised. */
  const joinEdge = async (url: string): Promise<{ socket: Socket; key: SessionKey }> => {
    const socket = await connectSocket(url, '/edge', undefined, sockets);
    const { challenge, chainId } = (await ask(socket, 'edge:challenge', {})) as Answer & {
      challenge: string;
      chainId: number;
    };
    const key = createSessionKey(60 * 60_000);
    const proof = await signJoinProof(operator, {
      edgeId,
      challenge,
      sessionKey: key.publicKeyRaw,
      sessionKeyExpiresAt: key.expiresAt,
      brokerOrigin: new URL(url).origin,
      chainId,
    });
    const registration = { edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 2, proof };
    expect(await ask(socket, 'edge:register', registration)).toMatchObject({ ok: true });
    return { socket, key };
  };

  beforeAll(async () => {
    redis = await startDurableRedis();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const broker of brokers) await broker.stop();
    await redis?.close();
  });

  it('verifies a slot from both sockets, refuses forgeries per receipt, and a new broker sees the same totals', async () => {
    const first = await startBroker();
    const edge = await joinEdge(first.url);
    const page = await connectSocket(first.url, '/', undefined, sockets);
    const player = createSessionKey(60 * 60_000);

    // Before registering, an edge socket may not hand in receipts.
    const stranger = await connectSocket(first.url, '/edge', undefined, sockets);
    expect(await ask(stranger, 'edge:receipts', { receipts: [{}] })).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });

    const placed = (await ask(page, 'session:request', {
      titleId: TITLE.id,
      playerKey: player.publicKeyRaw,
    })) as Answer & SessionPlacement;
    expect(placed.ok).toBe(true);
    const { iat } = readTicketPayload(placed.ticket);
    // A last, partial slot of 1.5 s (the session just began, so a whole slot is still in the future).
    const receipt = (side: 'player' | 'edge', changes: Partial<UsageReceipt> = {}): UsageReceipt => ({
      v: 1,
      side,
      sessionId: placed.sessionId,
      edgeId,
      seq: 0,
      from: iat,
      to: iat + 1_500,
      frames: 90,
      bitrateKbps: 4_000,
      rttMs: 8,
      ...changes,
    });
    const clock = await ask(page, 'receipt:clock', {});
    expect(Math.abs((clock.now as number) - Date.now())).toBeLessThan(1000);

    const edgeReceipt = signReceipt(edge.key, receipt('edge'));
    const forged = signReceipt(player, receipt('edge', { seq: 1 }));
    expect(await ask(edge.socket, 'edge:receipts', { receipts: [edgeReceipt, forged, { junk: true }] })).toEqual({
      ok: true,
      results: [
        { status: 'accepted' },
        { status: 'rejected', code: 'RECEIPT_INVALID', message: expect.any(String) },
        { status: 'rejected', code: 'INVALID_MESSAGE', message: expect.any(String) },
      ],
    });
    expect(await ask(page, 'receipt:submit', signReceipt(player, receipt('player')))).toEqual({
      ok: true,
      status: 'accepted',
      interval: 'verified',
      creditedMs: 1_500,
      qualityBps: 10_000,
    });
    expect(await ask(page, 'receipt:submit', { receipt: 'junk' })).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    expect(await ask(page, 'receipt:submit', edgeReceipt)).toMatchObject({ ok: false, code: 'RECEIPT_INVALID' });

    // The broker stops; another starts on the same Redis. The edge joins it with a new key and
    // resends what it had journalled; the page resends too. Both are duplicates: nothing counts twice.
    brokers.splice(brokers.indexOf(first.broker), 1);
    await first.broker.stop();
    const second = await startBroker();
    const rejoined = await joinEdge(second.url);
    expect(await ask(rejoined.socket, 'edge:receipts', { receipts: [edgeReceipt] })).toEqual({
      ok: true,
      results: [{ status: 'duplicate' }],
    });
    const page2 = await connectSocket(second.url, '/', undefined, sockets);
    expect(await ask(page2, 'receipt:submit', signReceipt(player, receipt('player')))).toMatchObject({
      ok: true,
      status: 'duplicate',
      interval: 'verified',
    });

    const closed = await second.broker.ledger()?.closeEpoch();
    // 0.6 ATH a minute on cpu × 1.5 s × quality 1.0 = 0.015 ATH gross; 5 % fee.
    const gross = (6n * ATH) / 10n / 40n;
    expect(closed?.operators.get(operator.address)).toEqual({
      verifiedMs: 1_500,
      intervals: 1,
      mismatches: 0,
      gross,
      fee: gross / 20n,
      net: gross - gross / 20n,
    });
    expect(closed?.amounts).toEqual(new Map([[operator.address, gross - gross / 20n]]));
  });
});
