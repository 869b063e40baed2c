import { setTimeout as delay } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import {
  readTicketPayload,
  ReceiptMeter,
  type Candidate,
  type ProbeResult,
  type SessionPlacement,
  type TitleSummary,
} from '@edgeplay/shared';
import { createSessionKey, signReceipt, type SessionKey } from '@edgeplay/shared/node';
import { AckRecorder, CLIENT_OPTIONS, failGenerator, outcomeOf, tellBench } from './socket-load-acks.js';
import { forEachLimited, seededRandom } from './placement-load.js';
import {
  between,
  edgeSpecs,
  pickTitle,
  PLAYER_MODEL,
  playerSpecs,
  type PlayerSpec,
  type ToGenerator,
} from './socket-load-world.js';

/*
 * Load generator: the players' pages of the socket load bench, in a process of their own
 * (forked by socket-load-bench.ts). Each is one socket on its broker's player namespace
 * that goes round what client/src/main.ts does: load the catalog, pick a title, ask for
 * candidates, measure them (the probes are simulated: a delay as long as six round trips
 * to the farthest, RTTs from the distance), ask for a session with the probes, wait in
 * the title's queue when every node is busy (and leave it after a while), open the
 * session on the edge (handed to the edge's load generator through the bench), read the
 * broker's clock, sign a usage receipt per slot with its player key, press End, look at
 * the summary and start again. Unlike the page it also sends its location, and a cheap
 * `receipt:clock` every few seconds to sample the broker's responsiveness evenly.
 */

const CONNECT_CONCURRENCY = 100;
const random = seededRandom(6_005);
let stopping = false;

const acks = new AckRecorder('players');

type Answer = { ok: boolean; code?: string } & Record<string, unknown>;

class SimulatedPlayer {
  private socket: Socket | undefined;
  private clockTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: PlayerSpec,
    private readonly brokerUrl: string,
    private readonly edgeBroker: ReadonlyMap<string, number>,
  ) {}

  async connect(): Promise<void> {
    const socket = io(this.brokerUrl, CLIENT_OPTIONS);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') acks.count('player sockets dropped');
    });
    socket.on('queue:position', () => acks.count('queue:position pushes'));
  }

  private ask(event: string, payload: unknown): Promise<Answer> {
    return acks.ask(this.socket as Socket, event, payload) as Promise<Answer>;
  }

  async run(): Promise<void> {
    const firstClockIn = random() * PLAYER_MODEL.clockPingEveryMs;
    this.clockTimer = setTimeout(() => {
      this.clockTimer = setInterval(() => void this.ask('receipt:clock', {}), PLAYER_MODEL.clockPingEveryMs);
    }, firstClockIn);
    // Pages open at different moments.
    await delay(random() * PLAYER_MODEL.thinkMs.max);
    while (!stopping) {
      await this.oneVisit();
      await delay(between(random, PLAYER_MODEL.thinkMs));
    }
  }

  private async oneVisit(): Promise<void> {
    const catalog = await this.ask('catalog:list', {});
    const listed = (catalog.titles as TitleSummary[] | undefined) ?? [];
    if (!catalog.ok || listed.length === 0) return;
    const wanted = pickTitle(random);
    const title = listed.find((t) => t.id === wanted.id) ?? listed[Math.floor(random() * listed.length)];
    if (!title) return;
    const { location } = this.spec;
    // The page makes a fresh player key for every session; the ticket is bound to it.
    const key = createSessionKey(60 * 60 * 1000);
    const found = await this.ask('session:candidates', { titleId: title.id, location });
    if (!found.ok) return;
    const candidates = found.candidates as Candidate[];
    let placement: SessionPlacement | undefined;
    const request = { titleId: title.id, playerKey: key.publicKeyRaw, location };
    if (candidates.length === 0) {
      placement = await this.waitInLine(request);
    } else {
      const probes = await this.probe(candidates);
      const answer = await this.ask('session:request', { ...request, probes });
      if (answer.ok) {
        placement = answer as unknown as SessionPlacement;
        acks.count('placed at once');
      } else if (answer.code === 'NO_CAPACITY') {
        placement = await this.waitInLine({ ...request, probes });
      }
    }
    if (placement && !stopping) await this.play(placement, key, title);
  }

  /** Six round trips to the farthest candidate (one to open the connection, five measured); unreachable: the 1 s timeout. */
  private async probe(candidates: Candidate[]): Promise<ProbeResult[]> {
    const probes = candidates.map((candidate) => ({
      edgeId: candidate.edgeId,
      rttMs:
        random() < PLAYER_MODEL.unreachableProbe
          ? null
          : Math.round((4 + candidate.distanceKm / 100 + random() * 6) * 10) / 10,
    }));
    const longest = Math.max(
      ...probes.map((probe) => (probe.rttMs === null ? 1000 : probe.rttMs * PLAYER_MODEL.probeSamples)),
    );
    await delay(longest);
    return probes;
  }

  /** queue:join, then the queue:placed push; a player who waited too long leaves the line. */
  private async waitInLine(request: Record<string, unknown>): Promise<SessionPlacement | undefined> {
    const joined = await this.ask('queue:join', request);
    if (!joined.ok) return undefined;
    acks.count('queued');
    const socket = this.socket as Socket;
    const entryId = joined.entryId as string;
    return new Promise((resolve) => {
      const onPlaced = (info: { entryId?: string; placement?: SessionPlacement }): void => {
        if (info.entryId !== entryId) return;
        clearTimeout(timer);
        socket.off('queue:placed', onPlaced);
        acks.count('placed from the queue');
        resolve(info.placement);
      };
      const timer = setTimeout(() => {
        socket.off('queue:placed', onPlaced);
        acks.count('left the queue (patience)');
        void this.ask('queue:leave', { titleId: request.titleId, entryId }).then(() => resolve(undefined));
      }, PLAYER_MODEL.patienceMs);
      socket.on('queue:placed', onPlaced);
    });
  }

  private async play(placement: SessionPlacement, key: SessionKey, title: TitleSummary): Promise<void> {
    const { sessionId, ticket } = placement;
    const edgeId = placement.edge.edgeId;
    const iat = readTicketPayload(ticket).iat;
    const playFrom = Date.now() + PLAYER_MODEL.startupMs;
    const endsAt = playFrom + between(random, PLAYER_MODEL.sessionMs);
    if (this.edgeBroker.get(edgeId) !== this.spec.broker) acks.count('placed on another broker’s edge');
    // session:join at the edge: its load generator gets the ticket through the bench.
    tellBench({
      type: 'session',
      join: { edgeId, sessionId, titleId: title.id, ticket, iat, playFrom, endsAt, fps: title.fps },
    });
    const socket = this.socket as Socket;
    let lost = false;
    const onEnded = (info: { sessionId?: string }): void => {
      if (info.sessionId === sessionId) lost = true;
    };
    socket.on('session:ended', onEnded);
    try {
      await delay(PLAYER_MODEL.startupMs);
      // The picture plays: learn the broker's clock, then meter (receipt-reporter.ts).
      await this.ask('receipt:clock', {});
      const meter = new ReceiptMeter({ side: 'player', sessionId, edgeId, anchorAt: iat });
      const sample = (at: number) => {
        const seconds = Math.max(0, at - playFrom) / 1000;
        return { at, frames: seconds * title.fps * 0.97, bytes: seconds * 740_000, rttMs: 20 };
      };
      meter.begin(sample(Date.now()));
      for (;;) {
        const next = Math.min(meter.nextDueAt() ?? endsAt, endsAt);
        await delay(Math.max(0, next - Date.now()));
        if (lost || stopping) break;
        const now = Date.now();
        const final = now >= endsAt;
        const receipt = meter.take(sample(now), final);
        if (receipt) {
          const answer = await this.ask('receipt:submit', signReceipt(key, receipt));
          acks.count(`player receipts ${answer.ok ? String(answer.interval) : outcomeOf(answer)}`);
        }
        if (final) break;
      }
      acks.count(lost ? 'sessions lost with their edge' : 'sessions played to the end');
    } finally {
      socket.off('session:ended', onEnded);
    }
  }

  close(): void {
    clearTimeout(this.clockTimer);
    clearInterval(this.clockTimer);
    this.socket?.disconnect();
  }
}

const players: SimulatedPlayer[] = [];

async function start(brokers: string[]): Promise<void> {
  const edgeBroker = new Map(edgeSpecs(brokers.length).map((edge) => [edge.edgeId, edge.broker]));
  const specs = playerSpecs(brokers.length);
  let failures = 0;
  await forEachLimited(specs, CONNECT_CONCURRENCY, async (spec) => {
    const player = new SimulatedPlayer(spec, brokers[spec.broker] as string, edgeBroker);
    try {
      await player.connect();
      players.push(player);
    } catch (error) {
      failures += 1;
      if (failures === 1) console.error('[socket-load players] a player could not connect:', error);
    }
  });
  tellBench({ type: 'ready', joinMs: 0, registerLatencies: [], failures });
  for (const player of players) player.run().catch(failGenerator);
}

process.on('message', (message: ToGenerator) => {
  switch (message.type) {
    case 'start':
      start(message.brokers).catch(failGenerator);
      break;
    case 'measure':
      acks.startMeasuring();
      break;
    case 'report':
      void acks.report().then((report) => tellBench({ type: 'report', report }));
      break;
    case 'stop':
      stopping = true;
      for (const player of players) player.close();
      // Pending timers (think times, sessions) would keep the process alive: the sockets are closed, go.
      setTimeout(() => process.exit(0), 200);
      break;
    case 'session':
      break;
  }
});
