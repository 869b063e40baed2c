/**
 * The broker's shared state: which edges are alive, where they are, and who holds their
 * slots. One interface, two implementations: `MemoryStore` for one process and
 * `RedisStore` for several broker processes sharing one Redis. Both pass the same
 * contract suite (server/test/store/store-contract.ts), so code written against this
 * interface behaves the same on either.
 *
 * Time comes from an injected clock (ms since epoch) and every expiry decision compares
 * against it — never against Redis TTLs — so both stores expire at the same instants
 * and tests can move time by hand.
 */

import type { GpuTier, ProbeResult } from '@edgeplay/shared';

/** Milliseconds since the epoch, as `Date.now()` returns. */
export type Clock = () => number;

/** What an edge announces about itself; the store keeps it as given. */
export interface EdgeRecord {
  edgeId: string;
  /** The operator wallet's address (EIP-55), proven when the edge joined. */
  operator: string;
  /** Where players reach the edge's signaling endpoint. */
  signalingUrl: string;
  region: string;
  /** WGS 84 degrees; latitude within ±85.05112878, the range Redis GEO can index. */
  lat: number;
  lon: number;
  /** Ids of the titles installed on the edge. */
  titles: string[];
  maxSessions: number;
  /** What the edge renders on, a model slug ("rtx-4090") or "cpu"; the store files it under gpuTierOf(gpuClass). */
  gpuClass: string;
  /**
   * The raw Ed25519 public key (0x + 64 lowercase hex) the operator's EIP-712 join proof
   * authorised for this run: whatever the edge signs later (usage receipts) verifies with it.
   */
  sessionKey: string;
  /** When the join proof stops vouching for sessionKey (ms since epoch). */
  sessionKeyExpiresAt: number;
}

/** An edge whose lease is live, as `getEdge` returns it. */
export interface LiveEdge extends EdgeRecord {
  leaseExpiresAt: number;
}

export interface CandidateQuery {
  titleId: string;
  /** Where the player is (best guess, e.g. from GeoIP). */
  lat: number;
  lon: number;
  /** At most this many candidates. */
  limit: number;
  /** Leave out edges whose GPU tier (gpuTierOf(gpuClass)) is below this; absent: any edge. */
  minGpuTier?: GpuTier;
  /** Leave out edges whose reputation is below this (0..1); absent: 0, none left out. */
  minReputation?: number;
  /** Only edges of this region; absent: any region. */
  region?: string;
  /** Also return edges with no free slot (freeSlots 0): where the player would be served, busy or not. */
  includeFull?: boolean;
}

/** What placement needs to know of an edge that could take a player. */
export interface EdgeCandidate {
  edgeId: string;
  signalingUrl: string;
  region: string;
  maxSessions: number;
  freeSlots: number;
  /** Great-circle distance from the query point (haversine, Redis's earth radius). */
  distanceKm: number;
  /** gpuTierOf(gpuClass), as the store filed the edge. */
  gpuTier: GpuTier;
  /** The edge's reputation (0..1) at the time of the query. */
  reputation: number;
}

/** A candidate query for reserveBest: the page's measurements come along for the ranking. */
export interface PlacementQuery extends CandidateQuery {
  /** RTTs the page measured (rttMs null: it could not reach the edge); absent or empty: none. */
  probes?: readonly ProbeResult[];
}

/** The slot reserveBest takes: pending for ttlMs, as reserveSlot takes one. */
export interface SlotClaim {
  /** A UUID, as the broker mints them; it must hold no slot yet. */
  sessionId: string;
  ttlMs: number;
}

/**
 * What reserveBest did: the edge it reserved a slot on, or why none —
 * 'no-capacity' (no edge qualifies with a free slot) or 'unreachable' (some do, but the
 * page could reach none of them).
 */
export type BestSlot =
  { edge: EdgeCandidate; reason?: undefined } | { edge?: undefined; reason: 'no-capacity' | 'unreachable' };

/** Every edge's reputation until someone sets it. */
export const DEFAULT_REPUTATION = 1;

export interface SlotRequest {
  edgeId: string;
  /** A UUID, as the broker mints them (SessionIdSchema). */
  sessionId: string;
  titleId: string;
  /** The reservation frees itself unless confirmed within this many ms. */
  ttlMs: number;
}

/** Why a slot was given back; part of the contract so an audit trail can be added behind it. */
export type SlotReleaseReason = 'ended' | 'cancelled' | 'failed' | 'kicked';

export interface ExpiredEdge {
  edgeId: string;
  /** Sessions (pending or running) whose slots went with the edge. */
  sessionIds: string[];
}

/**
 * One waiting line: players wait per title and region, so a slot that frees in one region
 * goes to the first player waiting for that region, not to someone on another continent.
 */
export interface QueueRef {
  titleId: string;
  /** An edge region label (EdgeRecord.region): the region of the edges that would serve the player. */
  region: string;
}

/** A player waiting for a free slot, as `enqueue` takes it and `queueHead` returns it. */
export interface QueueEntry extends QueueRef {
  /** A UUID minted by the broker; unique within its queue. */
  entryId: string;
  /** The player's public key (0x + 64 lowercase hex, PlayerKeySchema). */
  playerKey: string;
  /** When the player joined the queue (ms since epoch); informational, order is by arrival. */
  enqueuedAt: number;
}

/**
 * Every method is atomic with respect to every other call on any store sharing the
 * same state. A slot is freed exactly once: by `releaseSlot` returning true, by
 * `removeEdge`/`expireLeases` listing its session, or silently when a pending
 * reservation outlives its ttl.
 *
 * Inputs are validated: malformed ids, coordinates or counts throw INVALID_MESSAGE.
 * A record that reads back corrupt throws INTERNAL.
 */
export interface Store {
  /**
   * Registers or refreshes an edge and sets its lease to now + leaseMs. Its slots
   * survive a refresh — also one that arrives after the lease lapsed but before
   * `expireLeases` reaped it — so a brief disconnect does not orphan running sessions.
   */
  upsertEdge(edge: EdgeRecord, leaseMs: number): Promise<void>;
  /** Extends a live lease to now + leaseMs; false when the edge is unknown or its lease lapsed (re-register). */
  renewLease(edgeId: string, leaseMs: number): Promise<boolean>;
  /** The edge while its lease is live. */
  getEdge(edgeId: string): Promise<LiveEdge | undefined>;
  /** Forgets the edge; returns the sessions whose slots it freed (empty when unknown). */
  removeEdge(edgeId: string): Promise<string[]>;

  /**
   * Live edges with the title and a free slot (unless includeFull), at or above the
   * query's GPU tier and reputation, in its region if it names one, nearest first.
   */
  findCandidates(query: CandidateQuery): Promise<EdgeCandidate[]>;

  /**
   * Places in one atomic step: finds the query's candidates as findCandidates does, ranks
   * them by the placement rules (server/src/players/candidate-score.ts: RTT band from
   * the probes or the distance, load, GPU fit above the query's minGpuTier, RTT,
   * reputation, then nearer) and reserves a slot on the best, as reserveSlot would. One
   * round trip on Redis, and no other broker can take the slot between the choice and
   * the reservation.
   */
  reserveBest(query: PlacementQuery, claim: SlotClaim): Promise<BestSlot>;

  /**
   * Sets the edge's reputation, 0..1 (a placeholder for proof-of-service). It belongs to
   * the edge id, not to a registration: it survives lease lapses, removal and re-joining.
   */
  setReputation(edgeId: string, reputation: number): Promise<void>;
  /** The edge's reputation; DEFAULT_REPUTATION (1) for one never set, also for an unknown edge. */
  getReputation(edgeId: string): Promise<number>;

  /**
   * Takes one slot as a pending reservation. True only when the edge's lease is live,
   * it offers the title, a slot is free and the session holds no slot yet.
   */
  reserveSlot(request: SlotRequest): Promise<boolean>;
  /** Turns a live pending reservation into a running session (no ttl); true if it runs now. */
  confirmSlot(sessionId: string): Promise<boolean>;
  /** Frees the session's slot; true exactly once, false when it was already freed by anyone. */
  releaseSlot(sessionId: string, reason: SlotReleaseReason): Promise<boolean>;
  /** Running sessions plus live pending reservations; 0 for an unknown edge. */
  slotsInUse(edgeId: string): Promise<number>;

  /**
   * Removes every edge whose lease lapsed at `now` and frees its slots. Safe to call
   * from several processes at once: each edge and session is reported by one caller.
   */
  expireLeases(now: number): Promise<ExpiredEdge[]>;

  /**
   * Appends the entry to the FIFO of its title and region and returns its 1-based
   * position there. Idempotent: an entryId already in that queue keeps its place and
   * stored entry, and its current position is returned.
   */
  enqueue(entry: QueueEntry): Promise<number>;
  /** The entry's 1-based position in the queue; undefined when it is not queued there. */
  queuePosition(queue: QueueRef, entryId: string): Promise<number | undefined>;
  /** How many entries wait in the queue; 0 for one never used. */
  queueLength(queue: QueueRef): Promise<number>;
  /** The first `count` entries (1..100) of the queue, oldest first; they stay queued. */
  queueHead(queue: QueueRef, count: number): Promise<QueueEntry[]>;
  /**
   * Removes the entry once it was placed; true for exactly one caller, also when several
   * brokers race. A caller that gets false must give back whatever it reserved for it.
   */
  takeFromQueue(queue: QueueRef, entryId: string): Promise<boolean>;
  /** Removes the entry because the player left; true if it was still queued. */
  leaveQueue(queue: QueueRef, entryId: string): Promise<boolean>;

  /** Releases the store's resources (the Redis connection); idempotent. */
  close(): Promise<void>;
}
