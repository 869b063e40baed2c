import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../src/broker.js';
import { BrokerConfigSchema } from '../../src/config.js';
import { connectSocket } from '../connect-socket.js';
import { registerEdge } from '../edge-join-helper.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';

const ADMIN_TOKEN = 'two-brokers-admin-token-012345';

/** Studios on two brokers sharing one real Redis: an account, its titles and play time are one. */
describe('studios across two brokers', () => {
  let redis: RedisServer;
  const brokers: Broker[] = [];
  let urlA: string;
  let urlB: string;
  const sockets: Socket[] = [];

  const post = async (url: string, path: string, token: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const get = async (url: string, path: string, token: string) =>
    (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as Record<
      string,
      unknown
    >;

  beforeAll(async () => {
    redis = await startRedisServer();
    const prefix = `test-${randomUUID().slice(0, 8)}:`;
    const make = async (): Promise<string> => {
      const config = BrokerConfigSchema.parse({
        port: 0,
        clientDir: '/nonexistent',
        redisUrl: redis.url,
        redisKeyPrefix: prefix,
        adminToken: ADMIN_TOKEN,
      });
      const broker = createBroker({ config, logger: pino({ level: 'silent' }) });
      brokers.push(broker);
      return (await broker.start()).url;
    };
    urlA = await make();
    urlB = await make();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const broker of brokers) await broker.stop();
    await redis?.close();
  });

  it('takes a key made on A at B, nudges A’s edges when B changes a title, and counts play reported to either', async () => {
    const created = await post(urlA, '/api/admin/studios', ADMIN_TOKEN, { name: 'Shared Studio' });
    const key = created.body.apiKey as string;
    const studioId = (created.body.studio as { id: string }).id;
    expect((await get(urlB, '/api/studio', key)).studio).toMatchObject({ name: 'Shared Studio' });

    const edge = await connectSocket(urlA, '/edge', undefined, sockets);
    const game = {
      id: 'shared-game',
      name: 'Shared',
      command: 'chromium-bsu',
      resolution: { width: 800, height: 600 },
      fps: 60,
    };
    expect(
      await registerEdge(edge, urlA, {
        edgeId: 'edge-on-a',
        signalingUrl: 'http://127.0.0.1:1',
        maxSessions: 1,
        titles: [
          {
            id: game.id,
            name: game.name,
            resolution: game.resolution,
            fps: game.fps,
            studio: { id: studioId, name: 'Shared Studio' },
          },
        ],
      }),
    ).toMatchObject({ ok: true });

    const nudged = new Promise<void>((resolve) => edge.once('studio:titles-changed', () => resolve()));
    expect((await post(urlB, '/api/studio/titles', key, game)).status).toBe(201);
    await nudged;
    const listedAtA = (await fetch(`${urlA}/api/studio-titles`).then((r) => r.json())) as { titles: unknown[] };
    expect(listedAtA.titles).toEqual([
      { studio: { id: studioId, name: 'Shared Studio' }, manifest: { ...game, args: [], env: {}, audio: true } },
    ]);

    // The edge on A reports; the studio asks B.
    const sessionId = randomUUID();
    await edge.timeout(2000).emitWithAck('edge:session', { sessionId, state: 'started', titleId: 'shared-game' });
    await expect
      .poll(async () => ((await get(urlB, '/api/studio/titles/shared-game', key)).title as { play: object }).play)
      .toMatchObject({ sessions: 1, running: 1 });
    // B says A's edge offers it (the catalog asks the other brokers).
    expect(((await get(urlB, '/api/studio/titles/shared-game', key)).title as { offered: boolean }).offered).toBe(true);
    await edge.timeout(2000).emitWithAck('edge:session', { sessionId, state: 'ended' });
    await expect
      .poll(async () => ((await get(urlB, '/api/studio/titles/shared-game', key)).title as { play: object }).play)
      .toMatchObject({ sessions: 1, running: 0 });
  });
});
