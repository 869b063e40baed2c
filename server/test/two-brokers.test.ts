import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';
import { startRedisServer, type RedisServer } from './store/redis-server.js';

const LEASE_MS = 1000;
const LONG_LEASE_MS = 60_000;
const PLAYER_KEY = `0x${'ab'.repeat(32)}`;
const TITLE = { id: 'supertux', name: 'SuperTux', resolution: { width: 1280, height: 720 }, fps: 60 };

type Answer = { ok: boolean; code?: string; titles?: { id: string }[]; edge?: { edgeId: string }; sessionId?: string };

/** Two broker processes' worth of brokers sharing one real Redis: state and events cross between them. */
describe('two brokers sharing Redis', () => {
  let redis: RedisServer;
  let brokerA: Broker;
  let brokerB: Broker;
  let urlA: string;
  let urlB: string;
  let slowA: Broker;
  let slowB: Broker;
  let slowUrlA: string;
  let slowUrlB: string;
  const sockets: Socket[] = [];
  const ask = (socket: Socket, event: string, payload: unknown): Promise<Answer> =>
    socket.timeout(3000).emitWithAck(event, payload) as Promise<Answer>;

  beforeAll(async () => {
    redis = await startRedisServer();
    const prefix = `test-${randomUUID().slice(0, 8)}:`;
    const make = async (leaseMs = LEASE_MS): Promise<{ broker: Broker; url: string }> => {
      const config = BrokerConfigSchema.parse({
        port: 0,
        clientDir: '/nonexistent',
        redisUrl: redis.url,
        redisKeyPrefix: prefix,
        edgeLeaseMs: leaseMs,
      });
      const broker = createBroker({ config, logger: pino({ level: 'silent' }) });
      return { broker, url: (await broker.start()).url };
    };
    ({ broker: brokerA, url: urlA } = await make());
    ({ broker: brokerB, url: urlB } = await make());
    // A lease far longer than the test waits: only the check can take an edge out of routing there.
    ({ broker: slowA, url: slowUrlA } = await make(LONG_LEASE_MS));
    ({ broker: slowB, url: slowUrlB } = await make(LONG_LEASE_MS));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await brokerA?.stop();
    await brokerB?.stop();
    await slowA?.stop();
    await slowB?.stop();
    await redis?.close();
  });

  it('places a player connected to broker A on an edge connected to broker B, and tells them when it is lost', async () => {
    const edge = await connectSocket(urlB, '/edge', undefined, sockets);
    const edgeId = `edge-b-${randomUUID().slice(0, 8)}`;
    expect(
      await registerEdge(edge, urlB, { edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 1 }),
    ).toMatchObject({ ok: true });
    const heartbeat = setInterval(() => void ask(edge, 'edge:heartbeat', { activeSessions: 1 }), LEASE_MS / 4);

    const player = await connectSocket(urlA, '/', undefined, sockets);
    expect((await ask(player, 'catalog:list', {})).titles?.map((t) => t.id)).toContain(TITLE.id);
    const placed = await ask(player, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY });
    expect(placed).toMatchObject({ ok: true, edge: { edgeId } });
    expect(await ask(edge, 'edge:session', { sessionId: placed.sessionId, state: 'started' })).toMatchObject({
      ok: true,
    });

    // The one slot is taken for everyone: a player on broker B hears that the node is busy.
    const other = await connectSocket(urlB, '/', undefined, sockets);
    expect(await ask(other, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY })).toMatchObject({
      ok: false,
      code: 'NO_CAPACITY',
    });

    // The edge goes silent: whichever broker reaps its lease, the player on A is told.
    const told = new Promise((resolve) => player.once('session:ended', resolve));
    clearInterval(heartbeat);
    expect(await told).toMatchObject({ sessionId: placed.sessionId, code: 'EDGE_LOST' });
  });

  it('tells a page that lost its edge whether any broker still reaches it, and takes a lost edge out of routing at once', async () => {
    const edge = await connectSocket(slowUrlB, '/edge', undefined, sockets);
    const edgeId = `edge-b-${randomUUID().slice(0, 8)}`;
    expect(
      await registerEdge(edge, slowUrlB, {
        edgeId,
        signalingUrl: 'http://127.0.0.1:1',
        titles: [TITLE],
        maxSessions: 2,
      }),
    ).toMatchObject({ ok: true });
    const onA = await connectSocket(slowUrlA, '/', undefined, sockets);
    const onB = await connectSocket(slowUrlB, '/', undefined, sockets);
    const placed = await ask(onA, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY });
    const other = await ask(onB, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY });
    expect(placed).toMatchObject({ ok: true, edge: { edgeId } });
    expect(other).toMatchObject({ ok: true, edge: { edgeId } });
    for (const sessionId of [placed.sessionId, other.sessionId]) {
      expect(await ask(edge, 'edge:session', { sessionId, state: 'started' })).toMatchObject({ ok: true });
    }

    // The edge's link is on broker B; broker A asks across Redis and hears it is there.
    const check = { sessionId: placed.sessionId };
    expect(await ask(onA, 'session:check', check)).toMatchObject({ ok: true, edge: 'connected' });
    // Only the page placed in the session may ask about it.
    expect(await ask(onB, 'session:check', check)).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(await ask(onA, 'session:check', { sessionId: 'nope' })).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });

    // The edge's link drops (its process died): the next check finds no broker reaching it.
    const told = new Promise((resolve) => onB.once('session:ended', resolve));
    const droppedAt = Date.now();
    edge.close();
    await expect.poll(async () => (await ask(onA, 'session:check', check)).edge, { timeout: 3000 }).toBe('lost');
    expect(Date.now() - droppedAt).toBeLessThan(LONG_LEASE_MS / 10);
    // The other player on that edge hears of it, and the edge is out of routing with its slots freed.
    expect(await told).toMatchObject({ sessionId: other.sessionId, code: 'EDGE_LOST' });
    expect(await ask(onA, 'session:request', { titleId: TITLE.id, playerKey: PLAYER_KEY })).toMatchObject({
      ok: false,
    });
    expect(await ask(onA, 'session:check', check)).toMatchObject({ ok: true, edge: 'lost' });
  });
});
