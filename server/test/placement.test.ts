import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';
import { BrokerConfigSchema } from '../src/config.js';

/** A well-formed player key; the broker only binds the ticket to it (the edge checks it). */
const PLAYER_KEY = `0x${'ab'.repeat(32)}`;

const JOIN_TOKEN = 'placement-test-token-0123';
const LEASE_MS = 1000;
const TITLE = { id: 'chromium-bsu', name: 'Chromium B.S.U.', resolution: { width: 800, height: 600 }, fps: 60 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const NEW_YORK = { lat: 40.7128, lon: -74.006 };
const LONDON = { lat: 51.5074, lon: -0.1278 };

type Answer = { ok: boolean; code?: string; edge?: { edgeId: string }; sessionId?: string };

describe('placement through the broker (in-memory store)', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];

  const connect = (namespace = '/', auth?: Record<string, unknown>): Promise<Socket> =>
    connectSocket(url, namespace, auth, sockets);
  const ask = (socket: Socket, event: string, payload: unknown): Promise<Answer> =>
    socket.timeout(2000).emitWithAck(event, payload) as Promise<Answer>;

  /** An edge as the broker sees one: registers, and heartbeats while `beating` is true. */
  const edge = async (
    edgeId: string,
    location: { lat: number; lon: number },
    maxSessions = 1,
    title: Record<string, unknown> = TITLE,
    gpuClass = 'cpu',
    region = 'local',
  ) => {
    const socket = await connect('/edge', { token: JOIN_TOKEN });
    const registered = await registerEdge(socket, url, {
      edgeId,
      signalingUrl: `http://127.0.0.1:1/${edgeId}`,
      titles: [title],
      maxSessions,
      location,
      gpuClass,
      region,
    });
    expect(registered.ok).toBe(true);
    const timer = setInterval(() => void ask(socket, 'edge:heartbeat', { activeSessions: 0 }), LEASE_MS / 4);
    return { socket, stopBeating: () => clearInterval(timer) };
  };

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({
      port: 0,
      edgeJoinToken: JOIN_TOKEN,
      clientDir: '/nonexistent',
      edgeLeaseMs: LEASE_MS,
    });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  afterAll(async () => {
    await broker.stop();
  });

  it('sends a player to the nearest edge with a free slot, then to the next one, then says busy', async () => {
    const paris = await edge(`paris-${randomUUID().slice(0, 8)}`, PARIS);
    const newYork = await edge(`ny-${randomUUID().slice(0, 8)}`, NEW_YORK);
    const player = await connect();
    const first = await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: TITLE.id, location: LONDON });
    expect(first.edge?.edgeId).toMatch(/^paris-/);
    const second = await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: TITLE.id, location: LONDON });
    expect(second.edge?.edgeId).toMatch(/^ny-/);
    expect(
      await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: TITLE.id, location: LONDON }),
    ).toMatchObject({
      ok: false,
      code: 'NO_CAPACITY',
    });

    // The Paris edge reports the session started and then ended: its slot is free again.
    expect((await ask(paris.socket, 'edge:session', { sessionId: first.sessionId, state: 'started' })).ok).toBe(true);
    expect((await ask(paris.socket, 'edge:session', { sessionId: first.sessionId, state: 'ended' })).ok).toBe(true);
    const again = await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: TITLE.id, location: LONDON });
    expect(again.edge?.edgeId).toMatch(/^paris-/);
    paris.stopBeating();
    newYork.stopBeating();
  });

  it('lists candidates with probe URLs, and places by measured latency over distance', async () => {
    const tetris = { id: 'tetris', name: 'Tetris', resolution: { width: 640, height: 480 }, fps: 60 };
    const near = await edge(`near-${randomUUID().slice(0, 8)}`, PARIS, 1, tetris);
    const far = await edge(`far-${randomUUID().slice(0, 8)}`, NEW_YORK, 1, tetris);
    const player = await connect();
    const listed = (await player
      .timeout(2000)
      .emitWithAck('session:candidates', { titleId: 'tetris', location: LONDON })) as {
      candidates: { edgeId: string; probeUrl: string; distanceKm: number }[];
    };
    expect(listed.candidates.map((c) => c.edgeId.split('-')[0])).toEqual(['near', 'far']);
    expect(listed.candidates[0]?.probeUrl).toBe('http://127.0.0.1:1/probe');
    const [nearId, farId] = listed.candidates.map((c) => c.edgeId);

    // The near edge measured slow (or did not answer): the far one wins.
    const placed = await ask(player, 'session:request', {
      playerKey: PLAYER_KEY,
      titleId: 'tetris',
      location: LONDON,
      probes: [
        { edgeId: nearId, rttMs: 180 },
        { edgeId: farId, rttMs: 12 },
      ],
    });
    expect(placed.edge?.edgeId).toBe(farId);
    expect(
      await ask(player, 'session:request', {
        playerKey: PLAYER_KEY,
        titleId: 'tetris',
        probes: [{ edgeId: nearId, rttMs: null }],
      }),
    ).toMatchObject({ ok: false, code: 'EDGE_UNAVAILABLE' });
    near.stopBeating();
    far.stopBeating();
  });

  it('places a title that declares a minimum GPU tier only on edges that reach it, nearest first', async () => {
    const racer = { id: 'racer', name: 'Racer', resolution: { width: 1280, height: 720 }, fps: 60 };
    const demanding = { ...racer, minGpuTier: 'mid' };
    // The nearer edge is CPU-only and its manifest, registered last, asks for nothing: the
    // catalog keeps the strictest minimum.
    const gpu = await edge(`gpu-${randomUUID().slice(0, 8)}`, NEW_YORK, 1, demanding, 'rtx-4070');
    const cpu = await edge(`cpu-${randomUUID().slice(0, 8)}`, LONDON, 1, racer, 'cpu');
    const player = await connect();
    const catalog = (await ask(player, 'catalog:list', {})) as Answer & {
      titles: { id: string; minGpuTier?: string }[];
    };
    expect(catalog.titles.find((t) => t.id === 'racer')?.minGpuTier).toBe('mid');
    const listed = (await ask(player, 'session:candidates', { titleId: 'racer', location: LONDON })) as Answer & {
      candidates: { edgeId: string }[];
    };
    expect(listed.candidates.map((c) => c.edgeId.split('-')[0])).toEqual(['gpu']);
    const placed = await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: 'racer', location: LONDON });
    expect(placed.edge?.edgeId).toMatch(/^gpu-/);
    expect(
      await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: 'racer', location: LONDON }),
    ).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
    cpu.stopBeating();
    gpu.stopBeating();
  });

  it('takes an edge that stops heartbeating out of routing once its lease lapses', async () => {
    const ltris = { id: 'ltris', name: 'LTris', resolution: { width: 640, height: 480 }, fps: 60 };
    const quiet = await edge(`quiet-${randomUUID().slice(0, 8)}`, PARIS, 4, ltris);
    const player = await connect();
    const told = new Promise((resolve) => player.once('session:ended', resolve));
    const placed = await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: ltris.id, location: LONDON });
    expect(placed.edge?.edgeId).toMatch(/^quiet-/);
    quiet.stopBeating();
    // The lease itself is what is under test: let it lapse (the reaper runs every LEASE_MS / 4).
    await delay(2 * LEASE_MS);
    expect(
      await ask(player, 'session:request', { playerKey: PLAYER_KEY, titleId: ltris.id, location: LONDON }),
    ).toMatchObject({
      ok: false,
      code: 'NO_CAPACITY',
    });
    // The silent edge learns it must join again, and is routable once it has.
    // The player placed there hears why, from the broker.
    expect(await told).toMatchObject({ sessionId: placed.sessionId, code: 'EDGE_LOST' });
    expect(await ask(quiet.socket, 'edge:heartbeat', { activeSessions: 0 })).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
  });

  it('queues players when every slot is taken, in order, and places the head as soon as a slot frees', async () => {
    const puzzle = { id: 'puzzle', name: 'Puzzle', resolution: { width: 640, height: 480 }, fps: 30 };
    const onlyId = `only-${randomUUID().slice(0, 8)}`;
    const only = await edge(onlyId, PARIS, 1, puzzle);
    const first = await connect();
    const placed = await ask(first, 'session:request', { playerKey: PLAYER_KEY, titleId: 'puzzle' });
    expect(placed.ok).toBe(true);
    expect(
      await ask(only.socket, 'edge:session', { sessionId: placed.sessionId, state: 'started', titleId: 'puzzle' }),
    ).toMatchObject({ ok: true });

    const second = await connect();
    const third = await connect();
    expect(await ask(second, 'session:request', { playerKey: PLAYER_KEY, titleId: 'puzzle' })).toMatchObject({
      code: 'NO_CAPACITY',
    });
    const queued = (await ask(second, 'queue:join', { playerKey: PLAYER_KEY, titleId: 'puzzle' })) as Answer & {
      entryId: string;
      position: number;
      etaSeconds: number;
    };
    expect(queued).toMatchObject({ ok: true, position: 1 });
    expect(queued.etaSeconds).toBeGreaterThan(0);
    const behind = (await ask(third, 'queue:join', { playerKey: PLAYER_KEY, titleId: 'puzzle' })) as Answer & {
      position: number;
    };
    expect(behind.position).toBe(2);

    // The third player leaves the page: they leave the queue.
    third.close();
    const placedFromQueue = new Promise((resolve) => second.once('queue:placed', resolve));
    // The first session ends: the slot goes to the head of the queue.
    expect(await ask(only.socket, 'edge:session', { sessionId: placed.sessionId, state: 'ended' })).toMatchObject({
      ok: true,
    });
    expect(await placedFromQueue).toMatchObject({
      entryId: queued.entryId,
      placement: { edge: { edgeId: onlyId } },
    });
    const fourth = await connect();
    const afterLeave = (await ask(fourth, 'queue:join', { playerKey: PLAYER_KEY, titleId: 'puzzle' })) as Answer & {
      position: number;
    };
    expect(afterLeave.position).toBe(1);
    only.stopBeating();
  });

  it('keeps one queue per region: a slot that frees in one region goes to the first player waiting there', async () => {
    const golf = { id: 'golf', name: 'Golf', resolution: { width: 640, height: 480 }, fps: 30 };
    const parisId = `paris-${randomUUID().slice(0, 8)}`;
    const nyId = `ny-${randomUUID().slice(0, 8)}`;
    const paris = await edge(parisId, PARIS, 1, golf, 'cpu', 'eu-west');
    const newYork = await edge(nyId, NEW_YORK, 1, golf, 'cpu', 'us-east');
    const occupant = await connect();
    const sessions = [];
    for (const location of [LONDON, NEW_YORK]) {
      const placed = await ask(occupant, 'session:request', { playerKey: PLAYER_KEY, titleId: 'golf', location });
      expect(placed.ok).toBe(true);
      sessions.push(placed.sessionId);
    }
    type Queued = Answer & { entryId: string; position: number; region: string };
    const join = async (location: { lat: number; lon: number }) => {
      const socket = await connect();
      const answer = (await ask(socket, 'queue:join', { playerKey: PLAYER_KEY, titleId: 'golf', location })) as Queued;
      return { socket, answer };
    };
    const londoner = await join(LONDON);
    const newYorker = await join(NEW_YORK);
    const secondLondoner = await join(LONDON);
    expect([londoner, newYorker, secondLondoner].map(({ answer }) => [answer.region, answer.position])).toEqual([
      ['eu-west', 1],
      ['us-east', 1],
      ['eu-west', 2],
    ]);

    // New York's session ends: the New Yorker gets that slot, although the Londoner queued first.
    const newYorkerPlaced = new Promise((resolve) => newYorker.socket.once('queue:placed', resolve));
    const londonerPlaced = new Promise((resolve) => londoner.socket.once('queue:placed', resolve));
    expect(await ask(newYork.socket, 'edge:session', { sessionId: sessions[1], state: 'ended' })).toMatchObject({
      ok: true,
    });
    expect(await newYorkerPlaced).toMatchObject({ placement: { edge: { edgeId: nyId } } });
    const stillWaiting = await new Promise((resolve) => secondLondoner.socket.once('queue:position', resolve));
    expect(stillWaiting).toMatchObject({ entryId: secondLondoner.answer.entryId, position: 2, region: 'eu-west' });

    expect(await ask(paris.socket, 'edge:session', { sessionId: sessions[0], state: 'ended' })).toMatchObject({
      ok: true,
    });
    expect(await londonerPlaced).toMatchObject({ placement: { edge: { edgeId: parisId } } });
    const movedUp = await new Promise((resolve) => secondLondoner.socket.once('queue:position', resolve));
    expect(movedUp).toMatchObject({ entryId: secondLondoner.answer.entryId, position: 1 });
    paris.stopBeating();
    newYork.stopBeating();
  });
});
