import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as mediasoup from 'mediasoup';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeystore } from '../src/identity/keystore.js';
import { EdgeConfigSchema } from '../src/config.js';
import { createEdgeNode, type EdgeNode } from '../src/edge-node.js';
import { startBrokerStandIn, type BrokerStandIn } from './broker-stand-in.js';

const EDGE_ID = 'edge-spectator-test';
const TITLE = 'latency-probe';
const MAX_SPECTATORS = 2;

type Answer = { ok: boolean; code?: string; [key: string]: unknown };

/**
 * A real edge node (real mediasoup worker, a real session of the probe title: Xvfb, the
 * title, ffmpeg) with spectators joining its /watch namespace over real socket.io.
 */
describe('spectators at the edge', () => {
  let broker: BrokerStandIn;
  let edge: EdgeNode;
  let signalingUrl: string;
  const sockets: Socket[] = [];
  /** Every spectator transport the edge's router made, seen through mediasoup's observer. */
  const spectatorTransports: mediasoup.types.Transport[] = [];
  const openSpectatorTransports = (): number => spectatorTransports.filter((t) => !t.closed).length;

  const connect = async (namespace = ''): Promise<Socket> => {
    const socket = io(`${signalingUrl}${namespace}`, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };
  const ask = (socket: Socket, event: string, payload?: unknown): Promise<Answer> =>
    socket.timeout(20_000).emitWithAck(event, payload) as Promise<Answer>;
  const next = <T>(socket: Socket, event: string): Promise<T> =>
    new Promise((resolve) => socket.once(event, (info: T) => resolve(info)));

  beforeAll(async () => {
    broker = await startBrokerStandIn();
    const keystorePath = join(await mkdtemp(join(tmpdir(), 'edgeplay-keystore-')), 'operator.json');
    await createKeystore(keystorePath, 'test-password', { scryptN: 2 ** 10 });
    const config = EdgeConfigSchema.parse({
      edgeId: EDGE_ID,
      brokerUrl: broker.url,
      keystorePath,
      keystorePassword: 'test-password',
      signalingPort: 0,
      titles: TITLE,
      spectatorsPerSession: MAX_SPECTATORS,
    });
    mediasoup.observer.on('newworker', (worker) =>
      worker.observer.on('newrouter', (router) =>
        router.observer.on('newtransport', (transport) => {
          if (transport.appData.spectator !== undefined) spectatorTransports.push(transport);
        }),
      ),
    );
    edge = createEdgeNode({ config, logger: pino({ level: 'silent' }) });
    ({ signalingUrl } = await edge.start());
    await broker.registered;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await edge?.stop();
    await broker?.close();
  });

  it('refuses a watch link to a page that has no session, and junk to join with', async () => {
    const page = await connect();
    expect(await ask(page, 'watch:link', {})).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(await ask(page, 'watch:link', { extra: 1 })).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    const spectator = await connect('/watch');
    for (const junk of [undefined, null, 7, 'x', {}, { token: 12 }, { token: 'a.b' }, { token: 'x'.repeat(5000) }]) {
      expect(await ask(spectator, 'watch:join', junk), JSON.stringify(junk)).toMatchObject({
        ok: false,
        code: 'INVALID_MESSAGE',
      });
    }
    // Nothing but a join is served before one.
    for (const event of ['transport:create', 'media:consume', 'media:resume']) {
      expect((await ask(spectator, event, {})).ok).toBe(false);
    }
  });

  it('lets spectators watch the player’s session with a link, within the limit, never as the player', async () => {
    const good = broker.ticket(EDGE_ID, TITLE);
    const player = await connect();
    const joined = await ask(player, 'session:join', { ticket: good, signature: broker.sign(good) });
    expect(joined.ok).toBe(true);
    const sessionId = joined.sessionId as string;
    const session = edge.sessions().get(sessionId);
    expect(session).toBeDefined();

    const link = await ask(player, 'watch:link', {});
    expect(link).toMatchObject({ ok: true, viewers: 0, maxViewers: MAX_SPECTATORS });
    const token = link.token as string;
    expect(link.expiresAt as number).toBeGreaterThan(Date.now() + 60 * 60 * 1000);

    // A forged link (right shape, made-up MAC) and one altered to name this session.
    const spectatorA = await connect('/watch');
    const [body = ''] = token.split('.');
    const forged = `${body}.${randomBytes(32).toString('base64url')}`;
    expect(await ask(spectatorA, 'watch:join', { token: forged })).toMatchObject({
      ok: false,
      code: 'TICKET_INVALID',
    });

    const playerHears = next<{ viewers: number }>(player, 'watch:viewers');
    const watching = await ask(spectatorA, 'watch:join', { token });
    expect(watching).toMatchObject({ ok: true, sessionId, titleId: TITLE, viewers: 1, maxViewers: MAX_SPECTATORS });
    expect((await playerHears).viewers).toBe(1);
    expect(await ask(spectatorA, 'watch:join', { token })).toMatchObject({ ok: false, code: 'SESSION_STATE' });

    // Spectators receive only: no send transport, no input, no ending the session.
    expect(await ask(spectatorA, 'transport:create', { direction: 'send' })).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    expect(
      await ask(spectatorA, 'transport:create', {
        direction: 'recv',
        sctpCapabilities: { numStreams: { OS: 1024, MIS: 1024 } },
      }),
    ).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(
      await ask(spectatorA, 'data:produce', {
        transportId: 'x',
        sctpStreamParameters: { streamId: 0 },
        label: 'input',
        protocol: '',
      }),
    ).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(await ask(spectatorA, 'session:end', {})).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(session?.closed).toBe(false);

    // One recv transport, and one consumer for every producer of the session.
    const created = await ask(spectatorA, 'transport:create', { direction: 'recv' });
    expect(created.ok).toBe(true);
    expect((created.transport as { sctpParameters?: unknown }).sctpParameters).toBeUndefined();
    expect(await ask(spectatorA, 'transport:create', { direction: 'recv' })).toMatchObject({
      ok: false,
      code: 'SESSION_STATE',
    });
    const rtpCapabilities = watching.routerRtpCapabilities;
    const consumed = await ask(spectatorA, 'media:consume', { rtpCapabilities });
    expect(consumed.ok).toBe(true);
    const consumers = consumed.consumers as { id: string; producerId: string; kind: string }[];
    const producers = edge.spectators()?.producers.of(sessionId) ?? [];
    expect(producers.map((p) => p.kind)).toContain('video');
    expect(consumers.map((c) => c.producerId).sort()).toEqual(producers.map((p) => p.id).sort());
    expect(await ask(spectatorA, 'media:consume', { rtpCapabilities })).toMatchObject({
      ok: false,
      code: 'SESSION_STATE',
    });
    expect(await ask(spectatorA, 'media:resume', { consumerId: consumers[0]?.id })).toMatchObject({ ok: true });
    expect(await ask(spectatorA, 'media:resume', { consumerId: 'someone-else' })).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    const audience = edge.spectators()?.audience(sessionId);
    expect(openSpectatorTransports()).toBe(1);

    // The limit: a second spectator fits, a third is refused with a code.
    const spectatorB = await connect('/watch');
    expect(await ask(spectatorB, 'watch:join', { token })).toMatchObject({ ok: true, viewers: 2 });
    const spectatorC = await connect('/watch');
    expect(await ask(spectatorC, 'watch:join', { token })).toMatchObject({ ok: false, code: 'NO_CAPACITY' });

    // A spectator that leaves frees its place and its transport.
    spectatorA.close();
    await expect.poll(() => audience?.viewers, { timeout: 5000 }).toBe(1);
    expect(openSpectatorTransports()).toBe(0);
    expect(await ask(spectatorC, 'watch:join', { token })).toMatchObject({ ok: true, viewers: 2 });
    expect((await ask(spectatorC, 'transport:create', { direction: 'recv' })).ok).toBe(true);
    expect((await ask(spectatorB, 'transport:create', { direction: 'recv' })).ok).toBe(true);
    expect(openSpectatorTransports()).toBe(2);

    // The player ends the session: spectators are told and let go, the link opens nothing.
    const endedB = next<{ code: string }>(spectatorB, 'session:ended');
    const endedC = next<{ code: string }>(spectatorC, 'session:ended');
    const goneC = next<string>(spectatorC, 'disconnect');
    expect(await ask(player, 'session:end', {})).toMatchObject({ ok: true });
    expect(await endedB).toMatchObject({ code: 'PLAYER_ENDED' });
    expect(await endedC).toMatchObject({ code: 'PLAYER_ENDED' });
    expect(await goneC).toBe('io server disconnect');
    expect(audience?.viewers).toBe(0);
    expect(openSpectatorTransports()).toBe(0);
    expect(spectatorTransports).toHaveLength(3);
    expect(edge.spectators()?.audience(sessionId)).toBeUndefined();
    const late = await connect('/watch');
    expect(await ask(late, 'watch:join', { token })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(await ask(player, 'watch:link', {})).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
  });
});
