import type { Logger } from 'pino';
import { ErrorCode, makeError, type Location, type SessionPlacement } from '@edgeplay/shared';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';

/** How many nearby edges to try before telling the player every node is busy. */
const CANDIDATES = 5;
/** Where to look from when the page does not say where the player is. */
const NOWHERE: Location = { lat: 0, lon: 0 };

export interface PlacementDeps {
  store: Store;
  tickets: TicketIssuer;
  logger: Logger;
}

/**
 * Sends a player to the nearest edge with the title and a free slot: the slot is
 * reserved atomically in the Store (pending until the edge reports the session started,
 * and freed by itself if the ticket is never used), then the ticket is signed.
 */
export async function placePlayer(
  { store, tickets, logger }: PlacementDeps,
  titleId: string,
  location: Location = NOWHERE,
): Promise<SessionPlacement> {
  const candidates = await store.findCandidates({ titleId, ...location, limit: CANDIDATES });
  for (const edge of candidates) {
    const { sessionId, ticket } = tickets.issue(edge.edgeId, titleId);
    // The slot outlives the ticket by a little, so a player who joins at the last moment still has it.
    if (await store.reserveSlot({ edgeId: edge.edgeId, sessionId, titleId, ttlMs: tickets.ttlMs + 5000 })) {
      logger.info({ sessionId, edgeId: edge.edgeId, titleId, distanceKm: edge.distanceKm }, 'player placed');
      return { sessionId, ticket, edge: { edgeId: edge.edgeId, signalingUrl: edge.signalingUrl } };
    }
  }
  throw makeError(ErrorCode.NO_CAPACITY, 'every node that runs this game is busy; try again soon');
}
