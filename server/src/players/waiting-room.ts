import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';
import {
  isEdgePlayError,
  ErrorCode,
  makeError,
  type Location,
  type ProbeResult,
  type QueuePosition,
} from '@edgeplay/shared';
import type { Catalog } from '../catalog/catalog.js';
import type { SessionRecorder } from '../ledger/ledger.js';
import type { QueueRef, Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { candidateFilter, type TitleNeeds } from './candidate-score.js';
import { NOWHERE, placePlayer } from './placement.js';
import { sessionRoom } from './session-room.js';

/** Assumed session length until this broker has seen some end. */
const DEFAULT_SESSION_MS = 10 * 60 * 1000;
const RECENT_SESSIONS = 20;

interface LocalEntry extends QueueRef {
  playerKey: string;
  location?: Location | undefined;
  probes?: ProbeResult[] | undefined;
  socketId: string;
}

export interface QueueJoin {
  titleId: string;
  playerKey: string;
  location?: Location | undefined;
  probes?: ProbeResult[] | undefined;
}

export function queueRoom(entryId: string): string {
  return `queue:${entryId}`;
}

const refKey = ({ titleId, region }: QueueRef): string => `${titleId}:${region}`;
/** Just the queue's name: the Store refuses a reference with anything else in it. */
const refOf = ({ titleId, region }: QueueRef): QueueRef => ({ titleId, region });

/**
 * The waiting queues as this broker serves them. The queues live in the Store, one FIFO
 * per title and region, shared by all brokers: a player waits for the region of the
 * nearest edge that could run the title, and a slot that frees there goes to the head of
 * that queue only. This broker keeps what its own players measured (probes) so it can
 * place them well, drains the heads of the queues its players wait in, and pushes
 * positions and placements to their rooms.
 */
export class WaitingRoom {
  private readonly entries = new Map<string, LocalEntry>();
  private readonly sessionStarts = new Map<string, QueueRef & { at: number }>();
  private readonly recentLengths = new Map<string, number[]>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      tickets: TicketIssuer;
      catalog: Pick<Catalog, 'title'>;
      players: Namespace;
      logger: Logger;
      ledger?: SessionRecorder | undefined;
    },
  ) {}

  /** Players in line whose page is connected to this broker. */
  get waiting(): number {
    return this.entries.size;
  }

  async join(request: QueueJoin, socketId: string): Promise<QueuePosition> {
    const { store, catalog } = this.deps;
    const needs = await catalog.title(request.titleId);
    const region = await this.regionFor(request, needs);
    const entryId = randomUUID();
    const ref = { titleId: request.titleId, region };
    const position = await store.enqueue({ entryId, ...ref, playerKey: request.playerKey, enqueuedAt: Date.now() });
    this.entries.set(entryId, { ...request, region, socketId });
    return { entryId, position, etaSeconds: this.eta(ref, position), region };
  }

  /** Takes the socket's own entry out of its queue; false when it was not queued (by this socket). */
  async leave(titleId: string, entryId: string, socketId: string): Promise<boolean> {
    const entry = this.entries.get(entryId);
    if (!entry || entry.titleId !== titleId || entry.socketId !== socketId) return false;
    this.entries.delete(entryId);
    return this.deps.store.leaveQueue(refOf(entry), entryId);
  }

  /** Leaving the page leaves the queue. */
  async socketGone(socketId: string): Promise<void> {
    for (const [entryId, entry] of this.entries) {
      if (entry.socketId === socketId) await this.leave(entry.titleId, entryId, socketId);
    }
  }

  sessionStarted(sessionId: string, titleId: string, region: string): void {
    this.sessionStarts.set(sessionId, { titleId, region, at: Date.now() });
  }

  sessionEnded(sessionId: string): void {
    const started = this.sessionStarts.get(sessionId);
    if (!started) return;
    this.sessionStarts.delete(sessionId);
    const lengths = this.recentLengths.get(started.titleId) ?? [];
    lengths.push(Date.now() - started.at);
    this.recentLengths.set(started.titleId, lengths.slice(-RECENT_SESSIONS));
  }

  /** The region of the nearest edge that could run the title for this player, busy or not. */
  private async regionFor(request: QueueJoin, needs: TitleNeeds): Promise<string> {
    const [nearest] = await this.deps.store.findCandidates({
      titleId: request.titleId,
      ...(request.location ?? NOWHERE),
      limit: 1,
      includeFull: true,
      ...candidateFilter(needs),
    });
    if (!nearest) throw makeError(ErrorCode.NO_CAPACITY, 'no node that can run this game is online; try again later');
    return nearest.region;
  }

  /**
   * Rough wait: position × recent mean session length of the title ÷ its sessions running
   * in the queue's region on this broker's edges (at least 1).
   */
  private eta(ref: QueueRef, position: number): number {
    const lengths = this.recentLengths.get(ref.titleId);
    const mean = lengths?.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : DEFAULT_SESSION_MS;
    let running = 0;
    for (const session of this.sessionStarts.values()) {
      if (session.titleId === ref.titleId && session.region === ref.region) running += 1;
    }
    return Math.round((position * mean) / Math.max(1, running) / 1000);
  }

  /** Places queue heads where slots freed (every second, and whenever a session ends). */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const queues = new Map([...this.entries.values()].map((entry) => [refKey(entry), refOf(entry)]));
    for (const ref of queues.values()) await this.drainQueue(ref);
  }

  /**
   * Tells this broker's waiting players where they stand: once a second (the broker's
   * tick), not on every drain. Pushed on every session end too, a waiting page heard ~30
   * positions a second under the socket load bench (45 session ends/s), each a Store read
   * and, with several brokers, a Redis publish every other broker decodes.
   */
  async pushPositions(): Promise<void> {
    for (const [entryId, entry] of this.entries) {
      const position = await this.deps.store.queuePosition(refOf(entry), entryId);
      if (position === undefined) continue;
      this.deps.players
        .to(queueRoom(entryId))
        .emit('queue:position', { entryId, position, etaSeconds: this.eta(entry, position), region: entry.region });
    }
  }

  /** Places the queue's heads, one after the other, on free slots of the queue's region. */
  private async drainQueue(ref: QueueRef): Promise<void> {
    const { store, tickets, catalog, players, logger } = this.deps;
    const needs = await catalog.title(ref.titleId).catch((error: unknown) => {
      if (isEdgePlayError(error, ErrorCode.TITLE_NOT_FOUND)) return undefined; // no edge offers it right now
      throw error;
    });
    if (!needs) return;
    for (;;) {
      const [head] = await store.queueHead(ref, 1);
      if (!head) return;
      const local = this.entries.get(head.entryId);
      let placement;
      try {
        placement = await placePlayer(
          { store, tickets, logger, ledger: this.deps.ledger },
          {
            titleId: ref.titleId,
            region: ref.region,
            playerKey: head.playerKey,
            location: local?.location,
            probes: local?.probes,
            minGpuTier: needs.minGpuTier,
          },
        );
      } catch (error) {
        if (isEdgePlayError(error, ErrorCode.NO_CAPACITY) || isEdgePlayError(error, ErrorCode.EDGE_UNAVAILABLE)) return;
        throw error;
      }
      if (await store.takeFromQueue(ref, head.entryId)) {
        this.entries.delete(head.entryId);
        // Like a player placed at once, it hears from any broker if its edge is lost (and may ask).
        players.in(queueRoom(head.entryId)).socketsJoin(sessionRoom(placement.sessionId));
        players.to(queueRoom(head.entryId)).emit('queue:placed', { entryId: head.entryId, placement });
        logger.info({ entryId: head.entryId, ...ref, sessionId: placement.sessionId }, 'queued player placed');
      } else {
        // Another broker placed this player first: give the slot back.
        await store.releaseSlot(placement.sessionId, 'cancelled');
      }
    }
  }
}
