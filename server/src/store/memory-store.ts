import {
  EdgeIdSchema,
  ErrorCode,
  gpuTierOf,
  gpuTierRank,
  makeError,
  parseOrThrow,
  SessionIdSchema,
  type GpuTier,
} from '@edgeplay/shared';
import { EARTH_RADIUS_KM, geoPoint, haversine, haversineOfKm, kmOfHaversine, type GeoPoint } from './geo-distance.js';
import {
  checked,
  isDurationMs,
  isEdgeId,
  isPlainPlacementQuery,
  isPlainSlotClaim,
  isReleaseReason,
  isSessionId,
} from './fast-checks.js';
import { GeoGrid } from './geo-grid.js';
import {
  CandidateQuerySchema,
  ClockReadingSchema,
  DurationMsSchema,
  EdgeRecordSchema,
  QueueEntryIdSchema,
  QueueEntrySchema,
  QueueHeadCountSchema,
  PlacementQuerySchema,
  QueueRefSchema,
  ReputationSchema,
  SlotClaimSchema,
  SlotReleaseReasonSchema,
  SlotRequestSchema,
} from './store-schemas.js';
import { rankCandidates } from '../players/candidate-score.js';
import {
  DEFAULT_REPUTATION,
  type BestSlot,
  type CandidateQuery,
  type Clock,
  type EdgeCandidate,
  type EdgeRecord,
  type ExpiredEdge,
  type LiveEdge,
  type PlacementQuery,
  type QueueEntry,
  type QueueRef,
  type SlotClaim,
  type SlotReleaseReason,
  type SlotRequest,
  type Store,
} from './store.js';

/** The first search radius; each next one is 4 times wider, the last takes in the whole earth. */
const FIRST_RADIUS_KM = 250;
/** Half the earth's circumference: every point is nearer than this. */
const WHOLE_EARTH_KM = Math.PI * EARTH_RADIUS_KM;

interface MemoryEdge {
  record: EdgeRecord;
  /** The record's coordinates, ready for haversine(). */
  point: GeoPoint;
  gpuTier: GpuTier;
  gpuRank: number;
  leaseExpiresAt: number;
  /** Sessions holding a slot here, including pending ones that lapsed but were not swept yet. */
  sessionIds: Set<string>;
}

/** An edge that qualified in a search, with the haversine of its distance. */
interface Match {
  edge: MemoryEdge;
  h: number;
  freeSlots: number;
  reputation: number;
}

interface MemorySession {
  edgeId: string;
  titleId: string;
  /** Pending until this instant; Infinity once confirmed. */
  expiresAt: number;
}

export interface MemoryStoreOptions {
  clock?: Clock;
}

/**
 * The store for one broker process, with no setup. Every method runs to completion
 * without awaiting, so each call is atomic on Node's single thread — the property the
 * Redis store gets from Lua scripts.
 */
export class MemoryStore implements Store {
  private readonly clock: Clock;
  private readonly edges = new Map<string, MemoryEdge>();
  /** titleId → where the edges that offer it are; an edge is in the grid of each of its titles. */
  private readonly byTitle = new Map<string, GeoGrid<MemoryEdge>>();
  private readonly sessions = new Map<string, MemorySession>();
  /** edgeId → reputation, for those set; kept apart from `edges` so it outlives a registration. */
  private readonly reputations = new Map<string, number>();
  /** `titleId:region` → entryId → entry; a Map iterates in insertion order, which is the FIFO. */
  private readonly queues = new Map<string, Map<string, QueueEntry>>();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  async upsertEdge(edge: EdgeRecord, leaseMs: number): Promise<void> {
    const record = parseOrThrow(EdgeRecordSchema, edge, 'edge record');
    const leaseExpiresAt = this.now() + parseOrThrow(DurationMsSchema, leaseMs, 'leaseMs');
    const previous = this.edges.get(record.edgeId);
    if (previous) this.unindex(previous);
    const gpuTier = gpuTierOf(record.gpuClass);
    const stored: MemoryEdge = {
      record,
      point: geoPoint(record.lat, record.lon),
      gpuTier,
      gpuRank: gpuTierRank(gpuTier),
      leaseExpiresAt,
      sessionIds: previous?.sessionIds ?? new Set(),
    };
    this.edges.set(record.edgeId, stored);
    for (const titleId of new Set(record.titles)) {
      let grid = this.byTitle.get(titleId);
      if (!grid) {
        grid = new GeoGrid();
        this.byTitle.set(titleId, grid);
      }
      grid.add(stored, record.lat, record.lon);
    }
  }

  async renewLease(edgeId: string, leaseMs: number): Promise<boolean> {
    checked(isDurationMs, DurationMsSchema, leaseMs, 'leaseMs');
    const now = this.now();
    const edge = this.liveEdge(edgeId, now);
    if (!edge) return false;
    edge.leaseExpiresAt = now + leaseMs;
    return true;
  }

  async getEdge(edgeId: string): Promise<LiveEdge | undefined> {
    const edge = this.liveEdge(edgeId, this.now());
    return edge && { ...structuredClone(edge.record), leaseExpiresAt: edge.leaseExpiresAt };
  }

  async removeEdge(edgeId: string): Promise<string[]> {
    return this.dropEdge(parseOrThrow(EdgeIdSchema, edgeId, 'edgeId'), this.now());
  }

  async findCandidates(query: CandidateQuery): Promise<EdgeCandidate[]> {
    const parsed = parseOrThrow(CandidateQuerySchema, query, 'candidate query');
    return this.candidatesAt(parsed, this.now());
  }

  async reserveBest(query: PlacementQuery, claim: SlotClaim): Promise<BestSlot> {
    const parsed = checked(isPlainPlacementQuery, PlacementQuerySchema, query, 'placement query');
    const { sessionId, ttlMs } = checked(isPlainSlotClaim, SlotClaimSchema, claim, 'slot claim');
    const now = this.now();
    // No await from here on: the choice and the reservation are one step.
    const candidates = this.candidatesAt(parsed, now);
    if (candidates.length === 0) return { reason: 'no-capacity' };
    const [best] = rankCandidates(candidates, parsed.probes, parsed);
    if (!best) return { reason: 'unreachable' };
    return this.reserveAt(best.edgeId, sessionId, parsed.titleId, now + ttlMs, now)
      ? { edge: best }
      : { reason: 'no-capacity' };
  }

  /** findCandidates, for a query already checked, at one instant. */
  private candidatesAt(query: CandidateQuery, now: number): EdgeCandidate[] {
    const { titleId, lat, lon, limit, minGpuTier, minReputation = 0, region, includeFull = false } = query;
    const grid = this.byTitle.get(titleId);
    if (!grid) return [];
    const minRank = minGpuTier === undefined ? 0 : gpuTierRank(minGpuTier);
    const from = geoPoint(lat, lon);
    // Search outwards in growing circles, as the Redis store does, until one holds `limit`
    // edges that qualify: a whole-title scan cost ~0.6 ms a call at 10,000 edges (bench).
    // Edges are measured and ordered by the haversine, the asin is left for those returned.
    for (let radiusKm = FIRST_RADIUS_KM; ; radiusKm *= 4) {
      const within = haversineOfKm(radiusKm);
      const matches: Match[] = [];
      grid.near(lat, lon, radiusKm, (edge) => {
        if (edge.leaseExpiresAt <= now || edge.gpuRank < minRank) return;
        if (region !== undefined && edge.record.region !== region) return;
        const h = haversine(from, edge.point);
        if (h > within) return;
        const reputation = this.reputations.get(edge.record.edgeId) ?? DEFAULT_REPUTATION;
        if (reputation < minReputation) return;
        const freeSlots = Math.max(0, edge.record.maxSessions - this.sweep(edge, now));
        if (freeSlots === 0 && !includeFull) return;
        matches.push({ edge, h, freeSlots, reputation });
      });
      if (matches.length >= limit || radiusKm >= WHOLE_EARTH_KM) {
        return matches
          .sort((a, b) => a.h - b.h)
          .slice(0, limit)
          .map(({ edge: { record, gpuTier }, h, freeSlots, reputation }) => ({
            edgeId: record.edgeId,
            signalingUrl: record.signalingUrl,
            region: record.region,
            maxSessions: record.maxSessions,
            freeSlots,
            distanceKm: kmOfHaversine(h),
            gpuTier,
            reputation,
          }));
      }
    }
  }

  async setReputation(edgeId: string, reputation: number): Promise<void> {
    parseOrThrow(EdgeIdSchema, edgeId, 'edgeId');
    parseOrThrow(ReputationSchema, reputation, 'reputation');
    this.assertOpen();
    this.reputations.set(edgeId, reputation);
  }

  async getReputation(edgeId: string): Promise<number> {
    parseOrThrow(EdgeIdSchema, edgeId, 'edgeId');
    this.assertOpen();
    return this.reputations.get(edgeId) ?? DEFAULT_REPUTATION;
  }

  async reserveSlot(request: SlotRequest): Promise<boolean> {
    const { edgeId, sessionId, titleId, ttlMs } = parseOrThrow(SlotRequestSchema, request, 'slot request');
    const now = this.now();
    return this.reserveAt(edgeId, sessionId, titleId, now + ttlMs, now);
  }

  /** reserveSlot, for arguments already checked, at one instant. */
  private reserveAt(edgeId: string, sessionId: string, titleId: string, expiresAt: number, now: number): boolean {
    const edge = this.liveEdge(edgeId, now);
    if (!edge || !edge.record.titles.includes(titleId)) return false;
    if (this.liveSession(sessionId, now)) return false;
    if (this.sweep(edge, now) >= edge.record.maxSessions) return false;
    this.sessions.set(sessionId, { edgeId, titleId, expiresAt });
    edge.sessionIds.add(sessionId);
    return true;
  }

  async confirmSlot(sessionId: string): Promise<boolean> {
    const session = this.liveSession(parseOrThrow(SessionIdSchema, sessionId, 'sessionId'), this.now());
    if (!session) return false;
    session.expiresAt = Infinity;
    return true;
  }

  async releaseSlot(sessionId: string, reason: SlotReleaseReason): Promise<boolean> {
    checked(isReleaseReason, SlotReleaseReasonSchema, reason, 'release reason');
    const session = this.liveSession(checked(isSessionId, SessionIdSchema, sessionId, 'sessionId'), this.now());
    if (!session) return false;
    this.forgetSession(sessionId, session);
    return true;
  }

  async slotsInUse(edgeId: string): Promise<number> {
    const edge = this.edges.get(parseOrThrow(EdgeIdSchema, edgeId, 'edgeId'));
    return edge ? this.sweep(edge, this.now()) : 0;
  }

  async expireLeases(now: number): Promise<ExpiredEdge[]> {
    parseOrThrow(ClockReadingSchema, now, 'now');
    this.assertOpen();
    const expired: ExpiredEdge[] = [];
    for (const [edgeId, edge] of this.edges) {
      if (edge.leaseExpiresAt <= now) expired.push({ edgeId, sessionIds: this.dropEdge(edgeId, now) });
    }
    return expired;
  }

  async enqueue(entry: QueueEntry): Promise<number> {
    const parsed = parseOrThrow(QueueEntrySchema, entry, 'queue entry');
    this.assertOpen();
    const key = queueKey(parsed);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Map();
      this.queues.set(key, queue);
    }
    if (!queue.has(parsed.entryId)) queue.set(parsed.entryId, parsed);
    return positionIn(queue, parsed.entryId) ?? 0; // always found: it is queued now
  }

  async queuePosition(ref: QueueRef, entryId: string): Promise<number | undefined> {
    const queue = this.queue(ref);
    parseOrThrow(QueueEntryIdSchema, entryId, 'entryId');
    return queue && positionIn(queue, entryId);
  }

  async queueLength(ref: QueueRef): Promise<number> {
    return this.queue(ref)?.size ?? 0;
  }

  async queueHead(ref: QueueRef, count: number): Promise<QueueEntry[]> {
    const queue = this.queue(ref);
    parseOrThrow(QueueHeadCountSchema, count, 'count');
    const head: QueueEntry[] = [];
    for (const entry of queue?.values() ?? []) {
      if (head.length >= count) break;
      head.push(structuredClone(entry));
    }
    return head;
  }

  async takeFromQueue(ref: QueueRef, entryId: string): Promise<boolean> {
    return this.removeQueueEntry(ref, entryId);
  }

  async leaveQueue(ref: QueueRef, entryId: string): Promise<boolean> {
    return this.removeQueueEntry(ref, entryId);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private now(): number {
    this.assertOpen();
    return parseOrThrow(ClockReadingSchema, this.clock(), 'clock reading');
  }

  private assertOpen(): void {
    if (this.closed) throw makeError(ErrorCode.INTERNAL, 'store is closed');
  }

  /** The queue, undefined while empty; validates the reference and that the store is open. */
  private queue(ref: QueueRef): Map<string, QueueEntry> | undefined {
    const parsed = parseOrThrow(QueueRefSchema, ref, 'queue');
    this.assertOpen();
    return this.queues.get(queueKey(parsed));
  }

  private removeQueueEntry(ref: QueueRef, entryId: string): boolean {
    const queue = this.queue(ref);
    parseOrThrow(QueueEntryIdSchema, entryId, 'entryId');
    if (!queue?.delete(entryId)) return false;
    if (queue.size === 0) this.queues.delete(queueKey(ref));
    return true;
  }

  private liveEdge(edgeId: string, now: number): MemoryEdge | undefined {
    const edge = this.edges.get(checked(isEdgeId, EdgeIdSchema, edgeId, 'edgeId'));
    return edge && edge.leaseExpiresAt > now ? edge : undefined;
  }

  /** The session while it holds a slot; a lapsed pending reservation is swept on sight. */
  private liveSession(sessionId: string, now: number): MemorySession | undefined {
    const session = this.sessions.get(sessionId);
    if (!session || session.expiresAt > now) return session;
    this.forgetSession(sessionId, session);
    return undefined;
  }

  private forgetSession(sessionId: string, session: MemorySession): void {
    this.sessions.delete(sessionId);
    this.edges.get(session.edgeId)?.sessionIds.delete(sessionId);
  }

  /** Drops lapsed pending reservations of the edge and returns the slots still in use. */
  private sweep(edge: MemoryEdge, now: number): number {
    for (const sessionId of edge.sessionIds) this.liveSession(sessionId, now);
    return edge.sessionIds.size;
  }

  /** Removes the edge and its sessions; returns those that still held a slot. */
  private dropEdge(edgeId: string, now: number): string[] {
    const edge = this.edges.get(edgeId);
    if (!edge) return [];
    const freed: string[] = [];
    for (const sessionId of edge.sessionIds) {
      if (this.liveSession(sessionId, now)) freed.push(sessionId);
      this.sessions.delete(sessionId);
    }
    this.edges.delete(edgeId);
    this.unindex(edge);
    return freed;
  }

  /** Takes the edge out of the grids of its titles. */
  private unindex(edge: MemoryEdge): void {
    for (const titleId of edge.record.titles) {
      const grid = this.byTitle.get(titleId);
      grid?.remove(edge, edge.record.lat, edge.record.lon);
      if (grid?.size === 0) this.byTitle.delete(titleId);
    }
  }
}

/** Validated ids hold no ':', so this names one queue. */
const queueKey = ({ titleId, region }: QueueRef): string => `${titleId}:${region}`;

/** 1-based position of the entry in the queue (a linear walk: one process's queues are short). */
function positionIn(queue: Map<string, QueueEntry>, entryId: string): number | undefined {
  let position = 0;
  for (const id of queue.keys()) {
    position += 1;
    if (id === entryId) return position;
  }
  return undefined;
}
