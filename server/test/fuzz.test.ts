import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { JunkMaker } from '../../e2e/src/junk.js';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';

const CODES = new Set<string>(Object.values(ErrorCode));
const PLAYER_KEY = `0x${'ef'.repeat(32)}`;
const TITLE = { id: 'chromium-bsu', name: 'Chromium B.S.U.', resolution: { width: 800, height: 600 }, fps: 60 };

/** A valid message per event: the fuzzer mutates these so junk reaches past the first check. */
const PLAYER_EVENTS: Record<string, Record<string, never> | Record<string, unknown>> = {
  'catalog:list': {},
  'session:candidates': { titleId: 'chromium-bsu', location: { lat: 48.1, lon: 11.6 } },
  'session:request': { titleId: 'chromium-bsu', playerKey: PLAYER_KEY, probes: [{ edgeId: 'edge-fuzz', rttMs: 12 }] },
  'queue:join': { titleId: 'chromium-bsu', playerKey: PLAYER_KEY },
  'queue:leave': { titleId: 'chromium-bsu', entryId: '3b241101-e2bb-4255-8caf-4136c566a962' },
  'session:check': { sessionId: '3b241101-e2bb-4255-8caf-4136c566a962' },
  'session:rejoin': { ticket: 'eyJ2IjoxfQ.c2lnbmF0dXJl', signature: `0x${'ab'.repeat(64)}` },
};
const EDGE_EVENTS: Record<string, Record<string, unknown>> = {
  'edge:challenge': {},
  'edge:register': { edgeId: 'edge-fuzz-2', signalingUrl: 'http://127.0.0.1:1', titles: [], maxSessions: 1 },
  'edge:heartbeat': { activeSessions: 0 },
  'edge:session': { sessionId: '3b241101-e2bb-4255-8caf-4136c566a962', state: 'started', titleId: 'chromium-bsu' },
};
const PER_EVENT = 1000;
const CONCURRENCY = 50;

type Answer = { ok?: unknown; code?: unknown };

/** Sends `count` mutations of `template` as `event` and returns every answer that is not a coded one. */
async function fuzzEvent(
  socket: Socket,
  event: string,
  template: Record<string, unknown>,
  junk: JunkMaker,
  count: number,
): Promise<string[]> {
  const bad: string[] = [];
  for (let sent = 0; sent < count; sent += CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONCURRENCY, count - sent) }, (_, i) => {
      const payload = junk.mutate(template as never);
      return (socket.timeout(5000).emitWithAck(event, payload) as Promise<Answer>).then(
        (answer) => {
          const coded = answer?.ok === true || (answer?.ok === false && CODES.has(String(answer.code)));
          if (!coded) bad.push(`${event} #${sent + i} (seed ${junk.seed}): ${JSON.stringify(answer).slice(0, 200)}`);
        },
        (error: unknown) => bad.push(`${event} #${sent + i} (seed ${junk.seed}): no answer (${String(error)})`),
      );
    });
    await Promise.all(batch);
  }
  return bad;
}

describe('fuzzing the broker', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Limits far above the flood: this test is about what handlers do with junk, not the rate limit.
    const config = BrokerConfigSchema.parse({
      port: 0,
      clientDir: '/nonexistent',
      playerEventsPerSecond: 1_000_000,
      edgeEventsPerSecond: 1_000_000,
      addressEventsPerSecond: 1_000_000,
    });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
    const edge = await connectSocket(url, '/edge', undefined, sockets);
    await registerEdge(edge, url, {
      edgeId: 'edge-fuzz',
      signalingUrl: 'http://127.0.0.1:1',
      titles: [TITLE],
      maxSessions: 2,
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await broker.stop();
  });

  it(`answers ${PER_EVENT} mutated messages on every player event with coded errors, and keeps serving`, async () => {
    const player = await connectSocket(url, '/', undefined, sockets);
    const bad: string[] = [];
    for (const [index, [event, template]] of Object.entries(PLAYER_EVENTS).entries())
      bad.push(...(await fuzzEvent(player, event, template, new JunkMaker(1000 + index), PER_EVENT)));
    expect(bad).toEqual([]);
    const fresh = await connectSocket(url, '/', undefined, sockets);
    expect(await fresh.timeout(2000).emitWithAck('catalog:list', {})).toMatchObject({
      ok: true,
      titles: [{ id: 'chromium-bsu' }],
    });
  });

  it(`answers ${PER_EVENT} mutated messages on every edge event, joined or not, with coded errors`, async () => {
    const stranger = await connectSocket(url, '/edge', undefined, sockets);
    const joined = await connectSocket(url, '/edge', undefined, sockets);
    await registerEdge(joined, url, {
      edgeId: 'edge-fuzz-joined',
      signalingUrl: 'http://127.0.0.1:2',
      titles: [TITLE],
      maxSessions: 1,
    });
    const bad: string[] = [];
    for (const [index, [event, template]] of Object.entries(EDGE_EVENTS).entries()) {
      bad.push(...(await fuzzEvent(stranger, event, template, new JunkMaker(2000 + index), PER_EVENT / 2)));
      bad.push(...(await fuzzEvent(joined, event, template, new JunkMaker(3000 + index), PER_EVENT / 2)));
    }
    expect(bad).toEqual([]);
  });

  it('survives a 10,000-deep nested message and an oversized one (the socket is dropped, the broker stays up)', async () => {
    const player = await connectSocket(url, '/', undefined, sockets);
    // socket.io-client itself recurses over what it sends, so the deep message goes out as a raw
    // engine.io frame: an EVENT with ack id 77 whose payload is a 10,000-deep array.
    const engine = player.io.engine;
    const answered = new Promise<string>((resolve) =>
      engine.on('packet', (packet: { type: string; data?: unknown }) => {
        if (packet.type === 'message' && String(packet.data).startsWith('377')) resolve(String(packet.data));
      }),
    );
    engine.write(`277["session:request",${new JunkMaker(4).deepJson(10_000)}]`);
    expect(JSON.parse((await answered).slice(3))).toMatchObject([{ ok: false, code: 'INVALID_MESSAGE' }]);
    const big = await connectSocket(url, '/', undefined, sockets);
    const dropped = new Promise((resolve) => big.once('disconnect', resolve));
    big.emit('session:request', { titleId: 'x'.repeat(100_000) });
    await dropped;
    expect(await player.timeout(2000).emitWithAck('catalog:list', {})).toMatchObject({ ok: true });
  });

  it('answers junk requests on REST routes with coded errors, never a server error', async () => {
    const junk = new JunkMaker(5);
    const paths = [
      '/healthz',
      '/metrics',
      '/',
      '/index.html',
      '/nope',
      '/../../etc/passwd',
      '/%00',
      '/%E0%A4%A',
      '/a?'.concat('b=1&'.repeat(500)),
    ];
    const failures: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const path =
        i < paths.length ? paths[i]! : `${junk.pick(paths)}${encodeURIComponent(JSON.stringify(junk.value(1, 200)))}`;
      const method = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'][i % 6]!;
      const body = method === 'GET' || method === 'OPTIONS' ? null : JSON.stringify(junk.value(2, 5000));
      const response = await fetch(`${url}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
      await response.arrayBuffer();
      if (response.status >= 500) failures.push(`${method} ${path.slice(0, 80)} → ${response.status}`);
      if (response.status >= 400 && response.headers.get('content-type')?.startsWith('application/json')) {
        const text = await fetch(`${url}${path}`, { method, body })
          .then((r) => r.json() as Promise<Answer>)
          .catch(() => undefined);
        if (text && !CODES.has(String(text.code)))
          failures.push(`${method} ${path.slice(0, 80)}: uncoded ${JSON.stringify(text)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
