import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';
import { BrokerConfigSchema } from '../src/config.js';

/** A well-formed player key; the broker only binds the ticket to it (the edge checks it). */
const PLAYER_KEY = `0x${'ab'.repeat(32)}`;

const JOIN_TOKEN = 'test-join-token-0123456789';
const JUNK: unknown[] = [
  undefined,
  null,
  42,
  'hello',
  [],
  [1, 2, 3],
  { titleId: 7 },
  { titleId: 'x'.repeat(10_000) },
  { titleId: '../../etc/passwd' },
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  { edgeId: 'e', signalingUrl: 'javascript:alert(1)', titles: [], maxSessions: 1 },
  { activeSessions: -1 },
];

const connect = (url: string, namespace = '/', auth?: Record<string, unknown>): Promise<Socket> =>
  connectSocket(url, namespace, auth);

describe('broker against junk clients', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({ port: 0, edgeJoinToken: JOIN_TOKEN, clientDir: '/nonexistent' });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await broker.stop();
  });

  it('answers every malformed player request with a coded error while serving a good client', async () => {
    const good = await connect(url);
    const junk = await connect(url);
    sockets.push(good, junk);
    for (const event of ['catalog:list', 'session:request']) {
      for (const payload of JUNK) {
        const answer = (await junk.timeout(2000).emitWithAck(event, payload)) as { ok: boolean; code?: string };
        if (
          event === 'catalog:list' &&
          (payload === undefined ||
            (typeof payload === 'object' &&
              payload !== null &&
              Object.keys(payload).length === 0 &&
              !Array.isArray(payload)))
        ) {
          continue;
        }
        expect(answer, `${event} ${JSON.stringify(payload)}`).toMatchObject({ ok: false });
        expect(['INVALID_MESSAGE', 'TITLE_NOT_FOUND']).toContain(answer.code);
      }
      // The good client is served between the junk.
      expect(await good.timeout(2000).emitWithAck('catalog:list', {})).toEqual({ ok: true, titles: [] });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives events it does not know and requests without an acknowledgement', async () => {
    const junk = await connect(url);
    sockets.push(junk);
    junk.emit('no-such-event', { a: 1 });
    junk.emit('session:request', { playerKey: PLAYER_KEY, titleId: 'chromium-bsu' });
    junk.emit('session:request');
    const answer = await junk
      .timeout(2000)
      .emitWithAck('session:request', { playerKey: PLAYER_KEY, titleId: 'chromium-bsu' });
    expect(answer).toMatchObject({ ok: false, code: 'TITLE_NOT_FOUND' });
  });

  it('refuses an edge without the join token', async () => {
    await expect(connect(url, '/edge', { token: 'wrong-token-0123456789' })).rejects.toMatchObject({
      message: 'edge join token refused',
      data: { code: 'UNAUTHORIZED' },
    });
    await expect(connect(url, '/edge')).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('answers malformed edge messages with coded errors and keeps the edge namespace working', async () => {
    const edge = await connect(url, '/edge', { token: JOIN_TOKEN });
    sockets.push(edge);
    for (const payload of JUNK) {
      expect(await edge.timeout(2000).emitWithAck('edge:register', payload)).toMatchObject({
        ok: false,
        code: 'INVALID_MESSAGE',
      });
    }
    expect(await edge.timeout(2000).emitWithAck('edge:heartbeat', { activeSessions: 0 })).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
    const registered = (await registerEdge(edge, url, {
      edgeId: 'edge-junk-test',
      signalingUrl: 'http://127.0.0.1:1',
      titles: [{ id: 'chromium-bsu', name: 'Chromium B.S.U.', resolution: { width: 800, height: 600 }, fps: 60 }],
      maxSessions: 1,
    })) as { ok: boolean; brokerPublicKey?: string };
    expect(registered.ok).toBe(true);
    expect(registered.brokerPublicKey).toMatch(/^[A-Za-z0-9+/=]{40,}$/);

    const player = await connect(url);
    sockets.push(player);
    expect(await player.timeout(2000).emitWithAck('catalog:list', {})).toMatchObject({
      ok: true,
      titles: [{ id: 'chromium-bsu' }],
    });
    const placed = await player
      .timeout(2000)
      .emitWithAck('session:request', { playerKey: PLAYER_KEY, titleId: 'chromium-bsu' });
    expect(placed).toMatchObject({ ok: true, edge: { edgeId: 'edge-junk-test' } });
    // One slot, handed out: the next player hears that the node is busy.
    expect(
      await player.timeout(2000).emitWithAck('session:request', { playerKey: PLAYER_KEY, titleId: 'chromium-bsu' }),
    ).toMatchObject({
      ok: false,
      code: 'NO_CAPACITY',
    });
  });
});
