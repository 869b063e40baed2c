import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ErrorCode,
  makeError,
  type Candidate,
  type Location,
  type ProbeResult,
  type SessionPlacement,
} from '@edgeplay/shared';
import type { SessionRecorder } from '../ledger/ledger.js';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { candidateFilter, type TitleNeeds } from './candidate-score.js';

/** How many nearby edges a player measures, and the broker tries. */
export const CANDIDATES = 5;
/** Where to look from when the page does not say where the player is. */
export const NOWHERE: Location = { lat: 0, lon: 0 };

export interface PlacementDeps {
  store: Store;
  tickets: TicketIssuer;
  logger: Logger;
  /** The usage ledger, told each session's parties before the player gets the ticket. */
  ledger?: SessionRecorder | undefined;
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
 * the Store ranks the candidates and reserves a slot on the best in one atomic step
 * (pending until the edge reports the session started, and freed by itself if the ticket
 * is never used), then the ticket is signed for that slot.
 */
export async function placePlayer(
  { store, tickets, logger, ledger }: PlacementDeps,
  request: PlacementRequest,
): Promise<SessionPlacement> {
  const { titleId, probes } = request;
  const sessionId = randomUUID();
  const outcome = await store.reserveBest(
    {
      titleId,
      ...(request.location ?? NOWHERE),
      limit: CANDIDATES,
      ...candidateFilter(request),
      ...(request.region === undefined ? {} : { region: request.region }),
      ...(probes === undefined ? {} : { probes }),
    },
    // The slot outlives the ticket by a little, so a player who joins at the last moment still has it.
    { sessionId, ttlMs: tickets.ttlMs + 5000 },
  );
  if (!outcome.edge) {
    throw outcome.reason === 'unreachable'
      ? makeError(
          ErrorCode.EDGE_UNAVAILABLE,
          'none of the nodes with this game answered your browser; check your network',
        )
      : makeError(ErrorCode.NO_CAPACITY, 'every node that runs this game is busy; try again soon');
  }
  const { edge } = outcome;
  const ticket = await tickets.issue({ sessionId, edgeId: edge.edgeId, titleId, playerKey: request.playerKey });
  // Receipts are only ever credited to the parties recorded here; no record, no session.
  await ledger
    ?.recordSession({
      sessionId,
      ticket,
      edgeId: edge.edgeId,
      titleId,
      playerKey: request.playerKey,
    })
    .catch(async (error: unknown) => {
      await store.releaseSlot(sessionId, 'failed');
      throw error;
    });
  const rttMs = probes?.find((probe) => probe.edgeId === edge.edgeId)?.rttMs;
  logger.info(
    { sessionId, edgeId: edge.edgeId, titleId, rttMs, distanceKm: edge.distanceKm, gpuTier: edge.gpuTier },
    'player placed',
  );
  return { sessionId, ticket, edge: { edgeId: edge.edgeId, signalingUrl: edge.signalingUrl } };
}
