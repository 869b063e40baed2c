import { gpuTierRank, type GpuTier, type ProbeResult } from '@edgeplay/shared';
import type { CandidateQuery, EdgeCandidate } from '../store/store.js';

/*
 * How the broker chooses among the edges that could take a player. In order:
 *
 *   1. latency — the RTT the page measured (an edge it could not reach is out), or for an
 *      edge it did not measure the distance as an RTT estimate; RTTs in the same
 *      RTT_BAND_MS band count as equally fast, so that the next rules get a say;
 *   2. load — the share of the edge's slots in use, lower first;
 *   3. GPU fit — how far the edge's GPU tier is above the title's minimum, closest first,
 *      so a big GPU is kept for the titles that need one;
 *   4. the exact latency within the band;
 *   5. reputation — higher first (a placeholder for proof-of-service).
 *
 * Hard limits come before any ordering: an edge below the title's GPU tier or under
 * REPUTATION_FLOOR is never a candidate. The Store applies them while it searches
 * (candidateFilter), so the nearest edges it returns are ones that qualify; the ranking
 * checks them again.
 */

/** RTTs within one band of this width count as equally fast. */
export const RTT_BAND_MS = 5;
/** Without measurements distance stands in for RTT: light in fibre covers ~100 km per ms of round trip. */
export const KM_PER_RTT_MS = 100;
/** Edges whose reputation is below this are never candidates. */
export const REPUTATION_FLOOR = 0.5;

/** What a title asks of the edge it runs on. */
export interface TitleNeeds {
  minGpuTier?: GpuTier | undefined;
}

/** The hard limits, as the Store's candidate query takes them. */
export function candidateFilter(needs: TitleNeeds): Pick<CandidateQuery, 'minGpuTier' | 'minReputation'> {
  return {
    ...(needs.minGpuTier === undefined ? {} : { minGpuTier: needs.minGpuTier }),
    minReputation: REPUTATION_FLOOR,
  };
}

interface Scored {
  edge: EdgeCandidate;
  rttMs: number;
  band: number;
  load: number;
  fit: number;
}

const byScore = (a: Scored, b: Scored): number =>
  a.band - b.band || a.load - b.load || a.fit - b.fit || a.rttMs - b.rttMs || b.edge.reputation - a.edge.reputation;

/**
 * The edges that may take the player, best first. An edge the page measured as
 * unreachable (rttMs null) is left out; one it did not measure (it was busy when the page
 * asked, or the player is placed from a queue) is ranked by its distance.
 */
export function rankCandidates(
  edges: readonly EdgeCandidate[],
  probes: readonly ProbeResult[] | undefined,
  needs: TitleNeeds = {},
): EdgeCandidate[] {
  const measured = probes?.length ? new Map(probes.map((probe) => [probe.edgeId, probe.rttMs])) : undefined;
  const minRank = needs.minGpuTier === undefined ? 0 : gpuTierRank(needs.minGpuTier);
  const scored: Scored[] = [];
  for (const edge of edges) {
    const fit = gpuTierRank(edge.gpuTier) - minRank;
    if (fit < 0 || edge.reputation < REPUTATION_FLOOR) continue;
    const probed = measured?.get(edge.edgeId);
    if (probed === null) continue; // the page could not reach it
    const rttMs = probed ?? edge.distanceKm / KM_PER_RTT_MS;
    const load = 1 - edge.freeSlots / edge.maxSessions;
    scored.push({ edge, rttMs, band: Math.floor(rttMs / RTT_BAND_MS), load, fit });
  }
  return scored.sort(byScore).map((entry) => entry.edge);
}
