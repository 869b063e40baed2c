import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionPlacement } from '@edgeplay/shared';
import { createBroker, type Broker } from '../../server/src/broker.js';
import { BrokerConfigSchema } from '../../server/src/config.js';
import { RedisStore } from '../../server/src/store/redis-store.js';
import { startRedisServer, type RedisServer } from '../../server/test/store/redis-server.js';
import { BrokerLink } from '../src/broker/broker-link.js';

const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
const TITLE = { id: 'chess', name: 'Chess', resolution: { width: 1280, height: 720 }, fps: 60 };
const PLAYER_KEY = `0x${'ef'.repeat(32)}`;

/**
 * Session reports over the real BrokerLink to real brokers on one Redis: a session that
 * ends while no broker runs is reported to the next broker once the edge has joined it, so
 * its slot is not held for as long as the node lives.
 */
describe('session reports across a broker restart', () => {
  let redis: RedisServer;
  let store: RedisStore;
  let link: BrokerLink | undefined;
  const brokers: Broker[] = [];
  const keyPrefix = `test-${randomUUID().slice(0, 8)}:`;
  const start = async (port = 0): Promise<string> => {
    const config = BrokerConfigSchema.parse({
      port,
      clientDir: '/nonexistent',
      redisUrl: redis.url,
      redisKeyPrefix: keyPrefix,
    });
    const broker = createBroker({ config, logger });
    brokers.push(broker);
    return (await broker.start()).url;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    store = await RedisStore.connect({ url: redis.url, keyPrefix });
  });

  afterAll(async () => {
    link?.close();
    for (const broker of brokers) await broker.stop();
    await store?.close();
    await redis?.close();
  });

  it('sends an end reported while the broker was away once the link has joined the next one', async () => {
    const url = await start();
    const edgeId = `edge-${randomUUID().slice(0, 8)}`;
    link = new BrokerLink({
      brokerUrl: url,
      joinToken: undefined,
      wallet: Wallet.createRandom(),
      registration: () => ({ edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 1 }),
      activeSessions: () => 1,
      logger,
    });
    const registered = once(link, 'registered');
    link.connect();
    await registered;
    const page: Socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const placed = (await page.timeout(3000).emitWithAck('session:request', {
      titleId: TITLE.id,
      playerKey: PLAYER_KEY,
    })) as SessionPlacement & { ok: boolean };
    page.close();
    expect(placed.ok).toBe(true);
    link.reportSession(placed.sessionId, 'started', TITLE.id);
    await expect.poll(() => store.slotsInUse(edgeId)).toBe(1);

    await brokers.shift()?.stop();
    link.reportSession(placed.sessionId, 'ended');
    const back = once(link, 'registered');
    await start(Number(new URL(url).port));
    await back;
    await expect.poll(() => store.slotsInUse(edgeId), { timeout: 5_000 }).toBe(0);
  });
});
