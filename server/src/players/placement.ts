import type { Logger } from 'pino';
import {
  ErrorCode,
  makeError,
  type Candidate,
  type Location,
  type ProbeResult,
  type SessionPlacement,
} from '@edgeplay/shared';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { candidateFilter, rankCandidates, type TitleNeeds } from './candidate-score.js';

/** How many nearby edges a player measures, and the broker tries. */
export const CANDIDATES = 5;
/** Where to look from when the page does not say where the player is. */
export const NOWHERE: Location = { lat: 0, lon: 0 };

export interface PlacementDeps {
  store: Store;
  tickets: TicketIssuer;
  logger: Logger;
}

/** The edge's probe endpoint: a tiny GET beside its signaling endpoint. */
export function probeUrlOf(signalingUrl: string): string {
  return new URL('/probe', signalingUrl).toString();
}

/** Nearby edges with the title and a free slot that meet its needs, for the page to measure. */
export async function listCandidates(
  store: Store,
  titleId: string,
  location: Location = NOWHERE,
  needs: TitleNeeds = {},
): Promise<Candidate[]> {
  const edges = await store.findCandidates({ titleId, ...location, limit: CANDIDATES, ...candidateFilter(needs) });
  return edges.map((edge) => ({
    edgeId: edge.edgeId,
    probeUrl: probeUrlOf(edge.signalingUrl),
    distanceKm: edge.distanceKm,
  }));
}

export interface PlacementRequest extends TitleNeeds {
  titleId: string;
  playerKey: string;
  location?: Location | undefined;
  probes?: ProbeResult[] | undefined;
  /** Only edges of this region (a queue's); absent: any. */
  region?: string | undefined;
}

/**
 * Sends a player to the best edge (candidate-score.ts) with the title and a free slot:
 * the slot is reserved atomically in the Store (pending until the edge reports the
 * session started, and freed by itself if the ticket is never used), then the ticket is
 * signed.
 */
export async function placePlayer(
  { store, tickets, logger }: PlacementDeps,
  request: PlacementRequest,
): Promise<SessionPlacement> {
  const { titleId } = request;
  const edges = await store.findCandidates({
    titleId,
    ...(request.location ?? NOWHERE),
    limit: CANDIDATES,
    ...candidateFilter(request),
    ...(request.region === undefined ? {} : { region: request.region }),
  });
  const ranked = rankCandidates(edges, request.probes, request);
  if (edges.length > 0 && ranked.length === 0) {
    throw makeError(
      ErrorCode.EDGE_UNAVAILABLE,
      'none of the nodes with this game answered your browser; check your network',
    );
  }
  for (const edge of ranked) {
    const { sessionId, ticket } = tickets.issue(edge.edgeId, titleId, request.playerKey);
    // The slot outlives the ticket by a little, so a player who joins at the last moment still has it.
    if (await store.reserveSlot({ edgeId: edge.edgeId, sessionId, titleId, ttlMs: tickets.ttlMs + 5000 })) {
      const rttMs = request.probes?.find((probe) => probe.edgeId === edge.edgeId)?.rttMs;
      logger.info(
        { sessionId, edgeId: edge.edgeId, titleId, rttMs, distanceKm: edge.distanceKm, gpuTier: edge.gpuTier },
        'player placed',
      );
      return { sessionId, ticket, edge: { edgeId: edge.edgeId, signalingUrl: edge.signalingUrl } };
    }
  }
  throw makeError(ErrorCode.NO_CAPACITY, 'every node that runs this game is busy; try again soon');
}
