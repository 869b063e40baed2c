import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Wallet } from 'ethers';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { RedisStore } from '../src/store/redis-store.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';
import { startRedisServer, type RedisServer } from './store/redis-server.js';

const LEASE_MS = 1000;
const PLAYER_KEY = `0x${'cd'.repeat(32)}`;
const TITLE = { id: 'supertux', name: 'SuperTux', resolution: { width: 1280, height: 720 }, fps: 60 };

type Answer = { ok: boolean; code?: string; sessionId?: string };

/**
 * A broker that starts on a Redis where edges' leases lapsed while no broker ran (a restart
 * that took longer than a lease) gives those edges one lease to find it before it reaps
 * them: a session that kept playing on its edge keeps its slot.
 */
describe('a broker starting after the edges’ leases lapsed', () => {
  let redis: RedisServer;
  let store: RedisStore;
  const brokers: Broker[] = [];
  const sockets: Socket[] = [];
  const keyPrefix = `test-${randomUUID().slice(0, 8)}:`;
  const ask = (socket: Socket, event: string, payload: unknown): Promise<Answer> =>
    socket.timeout(3000).emitWithAck(event, payload) as Promise<Answer>;
  const start = async (): Promise<string> => {
    const config = BrokerConfigSchema.parse({
      port: 0,
      clientDir: '/nonexistent',
      redisUrl: redis.url,
      redisKeyPrefix: keyPrefix,
      edgeLeaseMs: LEASE_MS,
    });
    const broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    brokers.push(broker);
    return (await broker.start()).url;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    store = await RedisStore.connect({ url: redis.url, keyPrefix });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const broker of brokers) await broker.stop();
    await store?.close();
    await redis?.close();
  });

  it('keeps the slot of a session that played on through the restart, and frees it when the session ends', async () => {
    const wallet = Wallet.createRandom();
    const edgeId = `edge-${randomUUID().slice(0, 8)}`;
    const registration = { edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 1 };
    const firstUrl = await start();
    const edge = await connectSocket(firstUrl, '/edge', undefined, sockets);
    expect(await registerEdge(edge, firstUrl, registration, wallet)).toMatchObject({ ok: true });
    const player = await connectSocket(firstUrl, '/', undefined, sockets);
    const placed = await ask(player, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY });
    expect(placed).toMatchObject({ ok: true });
    expect(await ask(edge, 'edge:session', { sessionId: placed.sessionId, state: 'started' })).toMatchObject({
      ok: true,
    });
    expect(await store.slotsInUse(edgeId)).toBe(1);

    // The broker goes, and stays away longer than a lease; the edge's session plays on.
    await brokers.shift()?.stop();
    await delay(LEASE_MS * 1.5);
    expect(await store.getEdge(edgeId)).toBeUndefined(); // lapsed, not yet reaped

    const secondUrl = await start();
    // The reaper runs every LEASE_MS / 4; the edge takes a little while to come back.
    await delay(LEASE_MS / 2);
    const again = await connectSocket(secondUrl, '/edge', undefined, sockets);
    expect(await registerEdge(again, secondUrl, registration, wallet)).toMatchObject({ ok: true });
    const beat = setInterval(() => void ask(again, 'edge:heartbeat', { activeSessions: 1 }), LEASE_MS / 4);
    try {
      await delay(LEASE_MS * 1.5);
      // Still the session's: not offered to another player.
      expect(await store.slotsInUse(edgeId)).toBe(1);
      const other = await connectSocket(secondUrl, '/', undefined, sockets);
      expect(await ask(other, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY })).toMatchObject({
        ok: false,
        code: 'NO_CAPACITY',
      });
      expect(await ask(again, 'edge:session', { sessionId: placed.sessionId, state: 'ended' })).toMatchObject({
        ok: true,
      });
      expect(await store.slotsInUse(edgeId)).toBe(0);
    } finally {
      clearInterval(beat);
    }
  });
});
