import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';
import { isEdgePlayError, ErrorCode, type Location, type ProbeResult, type QueuePosition } from '@edgeplay/shared';
import type { Catalog } from '../catalog/catalog.js';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { placePlayer } from './placement.js';

/** Assumed session length until this broker has seen some end. */
const DEFAULT_SESSION_MS = 10 * 60 * 1000;
const RECENT_SESSIONS = 20;

interface LocalEntry {
  titleId: string;
  playerKey: string;
  location?: Location | undefined;
  probes?: ProbeResult[] | undefined;
  socketId: string;
}

export function queueRoom(entryId: string): string {
  return `queue:${entryId}`;
}

/**
 * The waiting queues as this broker serves them: the queue itself lives in the Store (one
 * FIFO per title, shared by all brokers); this broker keeps what its own players measured
 * (probes) so it can place them well, drains the heads of the titles its players wait for,
 * and pushes positions and placements to their rooms.
 */
export class WaitingRoom {
  private readonly entries = new Map<string, LocalEntry>();
  private readonly sessionStarts = new Map<string, { titleId: string; at: number }>();
  private readonly recentLengths = new Map<string, number[]>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      tickets: TicketIssuer;
      catalog: Pick<Catalog, 'title'>;
      players: Namespace;
      logger: Logger;
    },
  ) {}

  async join(request: Omit<LocalEntry, 'socketId'>, socketId: string): Promise<QueuePosition> {
    const entryId = randomUUID();
    const position = await this.deps.store.enqueue({
      entryId,
      titleId: request.titleId,
      playerKey: request.playerKey,
      enqueuedAt: Date.now(),
    });
    this.entries.set(entryId, { ...request, socketId });
    return { entryId, position, etaSeconds: this.eta(request.titleId, position) };
  }

  async leave(titleId: string, entryId: string): Promise<boolean> {
    this.entries.delete(entryId);
    return this.deps.store.leaveQueue(titleId, entryId);
  }

  /** Leaving the page leaves the queue. */
  async socketGone(socketId: string): Promise<void> {
    for (const [entryId, entry] of this.entries) {
      if (entry.socketId === socketId) await this.leave(entry.titleId, entryId);
    }
  }

  sessionStarted(sessionId: string, titleId: string): void {
    this.sessionStarts.set(sessionId, { titleId, at: Date.now() });
  }

  sessionEnded(sessionId: string): void {
    const started = this.sessionStarts.get(sessionId);
    if (!started) return;
    this.sessionStarts.delete(sessionId);
    const lengths = this.recentLengths.get(started.titleId) ?? [];
    lengths.push(Date.now() - started.at);
    this.recentLengths.set(started.titleId, lengths.slice(-RECENT_SESSIONS));
  }

  /** Rough wait: position × recent mean session length ÷ sessions running for the title here (at least 1). */
  private eta(titleId: string, position: number): number {
    const lengths = this.recentLengths.get(titleId);
    const mean = lengths?.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : DEFAULT_SESSION_MS;
    const running = [...this.sessionStarts.values()].filter((s) => s.titleId === titleId).length;
    return Math.round((position * mean) / Math.max(1, running) / 1000);
  }

  /** Places queue heads where slots freed, then tells this broker's waiting players where they stand. */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const { store, tickets, catalog, players, logger } = this.deps;
    const titles = new Set([...this.entries.values()].map((entry) => entry.titleId));
    for (const titleId of titles) {
      const needs = await catalog.title(titleId).catch((error: unknown) => {
        if (isEdgePlayError(error, ErrorCode.TITLE_NOT_FOUND)) return undefined; // no edge offers it right now
        throw error;
      });
      if (!needs) continue;
      for (;;) {
        const [head] = await store.queueHead(titleId, 1);
        if (!head) break;
        const local = this.entries.get(head.entryId);
        let placement;
        try {
          placement = await placePlayer(
            { store, tickets, logger },
            {
              titleId,
              playerKey: head.playerKey,
              location: local?.location,
              probes: local?.probes,
              minGpuTier: needs.minGpuTier,
            },
          );
        } catch (error) {
          if (
            isEdgePlayError(error) &&
            (error.code === ErrorCode.NO_CAPACITY || error.code === ErrorCode.EDGE_UNAVAILABLE)
          )
            break;
          throw error;
        }
        if (await store.takeFromQueue(titleId, head.entryId)) {
          this.entries.delete(head.entryId);
          players.to(queueRoom(head.entryId)).emit('queue:placed', { entryId: head.entryId, placement });
          logger.info({ entryId: head.entryId, sessionId: placement.sessionId }, 'queued player placed');
        } else {
          // Another broker placed this player first: give the slot back.
          await store.releaseSlot(placement.sessionId, 'cancelled');
        }
      }
    }
    for (const [entryId, entry] of this.entries) {
      const position = await store.queuePosition(entry.titleId, entryId);
      if (position === undefined) continue;
      players
        .to(queueRoom(entryId))
        .emit('queue:position', { entryId, position, etaSeconds: this.eta(entry.titleId, position) });
    }
  }
}
