import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';
import { EDGE_LOST, ErrorCode, makeError } from '@edgeplay/shared';
import { sessionRoom } from '../players/session-room.js';
import type { ExpiredEdge, Store } from '../store/store.js';

/** The socket.io room of a registered edge's link, on whichever broker it is connected to. */
export function edgeRoom(edgeId: string): string {
  return `edge:${edgeId}`;
}

export interface EdgeLossDeps {
  store: Store;
  /** The /edge namespace: with the Redis adapter its rooms span every broker. */
  edges: Pick<Namespace, 'in'>;
  /** The players' namespace, whose session rooms reach a placed player on any broker. */
  players: Pick<Namespace, 'to'>;
  /** Which edge a placed session is on (the ledger records it at placement). */
  sessionEdge: (sessionId: string) => Promise<string | undefined>;
  /** Called for each session that went with a lost edge (e.g. to stop counting its play time). */
  onSessionLost?: (sessionId: string) => void;
  logger: Logger;
}

/**
 * Lost edges: their players are told (`session:ended`, EDGE_LOST) on whichever broker they
 * are connected to, so the page can place them again.
 *
 * An edge is lost when its lease lapses, or sooner when a page that lost its session's edge
 * asks (`check`) and no broker holds a link to that edge either. Either failure alone is
 * not enough: a page's own network can drop (the edge still reaches the brokers), and an
 * edge's link to the brokers can drop while its players stream (media never passes through
 * a broker). Both at once is what a crashed node looks like, and it is known within a second
 * instead of a lease.
 */
export class EdgeLoss {
  constructor(private readonly deps: EdgeLossDeps) {}

  /** Tells the players of every session that went with these edges. */
  notify(lost: readonly ExpiredEdge[]): void {
    for (const sessionId of lost.flatMap((edge) => edge.sessionIds)) {
      this.deps.onSessionLost?.(sessionId);
      this.deps.players.to(sessionRoom(sessionId)).emit('session:ended', {
        sessionId,
        code: EDGE_LOST,
        reason: 'the game node stopped answering',
      });
    }
  }

  /**
   * The page of `sessionId` lost its edge: is the edge still linked to some broker? If not,
   * it leaves routing now, its slots are freed and its other players are told.
   */
  async check(sessionId: string): Promise<'connected' | 'lost'> {
    const { store, logger } = this.deps;
    const edgeId = await this.deps.sessionEdge(sessionId);
    if (!edgeId) throw makeError(ErrorCode.SESSION_NOT_FOUND, `no session ${sessionId} was placed`);
    let links: unknown[];
    try {
      links = await this.deps.edges.in(edgeRoom(edgeId)).fetchSockets();
    } catch (error) {
      // Some broker did not answer: we cannot tell, so the page keeps trying and the lease decides.
      logger.warn({ edgeId, sessionId, error: String(error) }, 'could not ask every broker for an edge link');
      return 'connected';
    }
    if (links.length > 0) return 'connected';
    if (await store.getEdge(edgeId)) {
      const sessionIds = await store.removeEdge(edgeId);
      logger.warn({ edgeId, sessions: sessionIds, sessionId }, 'edge lost: neither its player nor a broker reaches it');
      this.notify([{ edgeId, sessionIds }]);
    }
    return 'lost';
  }
}
