import { connectRedis } from './redis-connect.js';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  EdgeIdSchema,
  ErrorCode,
  GPU_TIERS,
  gpuTierOf,
  gpuTierRank,
  makeError,
  parseOrThrow,
  SessionIdSchema,
} from '@edgeplay/shared';
import { FIND_CANDIDATES, RESERVE_BEST } from './candidate-scripts.js';
import {
  checked,
  isDurationMs,
  isEdgeId,
  isPlainPlacementQuery,
  isPlainSlotClaim,
  isReleaseReason,
  isSessionId,
} from './fast-checks.js';
import { EXPIRE_LEASES, REMOVE_EDGE, RENEW_LEASES, UPSERT_EDGE } from './edge-scripts.js';
import { KM_PER_RTT_MS, RTT_BAND_MS } from '../players/candidate-score.js';
import type { LuaScript } from './lua-script.js';
import { ENQUEUE, QUEUE_HEAD, REMOVE_QUEUE_ENTRY } from './queue-scripts.js';
import { redisKeyLayout, type RedisKeyLayout } from './redis-key-layout.js';
import { ScriptBatch } from './script-batch.js';
import { CONFIRM_SLOT, RELEASE_SLOTS, RESERVE_SLOT } from './slot-scripts.js';
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

export const DEFAULT_KEY_PREFIX = 'edgeplay:';

/** Lapsed edges removed per script run, so one run never blocks Redis for long. */
const EXPIRE_BATCH = 100;

/** More than half the earth's circumference at Redis's radius (20,020.6 km): the whole globe. */
const WHOLE_EARTH_RADIUS_KM = 20_050;

const KeyPrefixSchema = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9:{}._-]*$/, 'letters, digits and : { } . _ -');

const StoredWholeNumberSchema = z
  .string()
  .regex(/^\d+$/)
  .transform((text) => Number(text));

const StoredJsonSchema = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

const StoredEdgeRecordSchema = StoredJsonSchema.pipe(EdgeRecordSchema);
const StoredQueueEntrySchema = StoredJsonSchema.pipe(QueueEntrySchema);

const FlagReplySchema = z.union([z.literal(0), z.literal(1)]).transform((flag) => flag === 1);
const PositionReplySchema = z.int().positive();
const QueueHeadReplySchema = z.array(StoredQueueEntrySchema);
const SessionIdsReplySchema = z.array(z.string());
const ExpiredReplySchema = z.array(z.tuple([z.string(), SessionIdsReplySchema]));
const StoredReputationSchema = z.string().min(1).transform(Number).pipe(ReputationSchema);
export interface RedisStoreOptions {
  /** e.g. redis://127.0.0.1:6379/0 */
  url: string;
  /** Prepended to every key, so several deployments or tests can share one Redis. */
  keyPrefix?: string;
  clock?: Clock;
  /** Connection errors after start (ioredis keeps reconnecting); without a handler ioredis prints them. */
  onError?: (error: Error) => void;
  /**
   * Send the commands issued in one turn of the event loop in one write (ioredis
   * auto-pipelining; default on): a socket write per command was a third of the broker's
   * time (bench). Order and atomicity are unchanged: each script still runs alone.
   */
  autoPipelining?: boolean;
}

/**
 * The store shared by many broker processes. Every operation that reads and then writes
 * runs as one Lua script, so it is atomic across all connections; plain reads are single
 * commands. Everything read back is parsed with zod: a corrupt record throws INTERNAL.
 */
export class RedisStore implements Store {
  private readonly keys: RedisKeyLayout;
  private closed = false;
  private readonly renewals = new ScriptBatch(RENEW_LEASES, (script, args) => this.run(script, args));
  private readonly releases = new ScriptBatch(RELEASE_SLOTS, (script, args) => this.run(script, args));

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {
    this.keys = redisKeyLayout(prefix);
  }

  /** Connects, and fails fast when Redis cannot be reached. */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const prefix = parseOrThrow(KeyPrefixSchema, options.keyPrefix ?? DEFAULT_KEY_PREFIX, 'keyPrefix');
    const redis = await connectRedis(options.url, {
      onError: options.onError,
      redis: { enableAutoPipelining: options.autoPipelining ?? true },
    });
    return new RedisStore(redis, prefix, options.clock ?? Date.now);
  }

  async upsertEdge(edge: EdgeRecord, leaseMs: number): Promise<void> {
    const record = parseOrThrow(EdgeRecordSchema, edge, 'edge record');
    const leaseExpiresAt = this.now() + parseOrThrow(DurationMsSchema, leaseMs, 'leaseMs');
    const { edgeId, maxSessions, lon, lat, titles } = record;
    const gpuRank = gpuTierRank(gpuTierOf(record.gpuClass));
    const args = [edgeId, JSON.stringify(record), maxSessions, leaseExpiresAt, lon, lat, gpuRank, record.region];
    args.push(record.signalingUrl, ...titles);
    await this.run(UPSERT_EDGE, args);
  }

  async renewLease(edgeId: string, leaseMs: number): Promise<boolean> {
    checked(isEdgeId, EdgeIdSchema, edgeId, 'edgeId');
    const now = this.now();
    const leaseExpiresAt = now + checked(isDurationMs, DurationMsSchema, leaseMs, 'leaseMs');
    return (await this.renewals.add([edgeId, now, leaseExpiresAt])) === 1;
  }

  async getEdge(edgeId: string): Promise<LiveEdge | undefined> {
    const key = this.keys.edge(parseOrThrow(EdgeIdSchema, edgeId, 'edgeId'));
    const now = this.now();
    const [record, lease] = await this.redis.hmget(key, 'record', 'leaseExpiresAt');
    if (record === null && lease === null) return undefined;
    const leaseExpiresAt = parseStored(StoredWholeNumberSchema, lease, key);
    if (leaseExpiresAt <= now) return undefined;
    return { ...parseStored(StoredEdgeRecordSchema, record, key), leaseExpiresAt };
  }

  async removeEdge(edgeId: string): Promise<string[]> {
    parseOrThrow(EdgeIdSchema, edgeId, 'edgeId');
    const reply = await this.run(REMOVE_EDGE, [edgeId, this.now()]);
    return this.parseReply(REMOVE_EDGE, SessionIdsReplySchema, reply);
  }

  async findCandidates(query: CandidateQuery): Promise<EdgeCandidate[]> {
    const parsed = parseOrThrow(CandidateQuerySchema, query, 'candidate query');
    const args = this.candidateArgs(parsed, this.now());
    args.push(parsed.includeFull ? '1' : '0');
    const reply = await this.run(FIND_CANDIDATES, args);
    if (!Array.isArray(reply)) return corruptReply(FIND_CANDIDATES);
    return reply.map((row: unknown) => parseCandidateRow(row) ?? corruptReply(FIND_CANDIDATES));
  }

  async reserveBest(query: PlacementQuery, claim: SlotClaim): Promise<BestSlot> {
    const parsed = checked(isPlainPlacementQuery, PlacementQuerySchema, query, 'placement query');
    const { sessionId, ttlMs } = checked(isPlainSlotClaim, SlotClaimSchema, claim, 'slot claim');
    const now = this.now();
    const args = this.candidateArgs(parsed, now);
    args.push(sessionId, now + ttlMs, RTT_BAND_MS, KM_PER_RTT_MS);
    for (const probe of parsed.probes ?? []) args.push(probe.edgeId, probe.rttMs === null ? '' : String(probe.rttMs));
    const reply = await this.run(RESERVE_BEST, args);
    if (Array.isArray(reply) && reply.length === 1) {
      const [reason] = reply as unknown[];
      if (reason === 'no-capacity' || reason === 'unreachable') return { reason };
    }
    return { edge: parseCandidateRow(reply) ?? corruptReply(RESERVE_BEST) };
  }

  /** The arguments find_candidates takes, after the prefix, up to the region. */
  private candidateArgs(query: CandidateQuery, now: number): (string | number)[] {
    const { titleId, lat, lon, limit, minGpuTier, minReputation = 0, region = '' } = query;
    const minRank = minGpuTier === undefined ? 0 : gpuTierRank(minGpuTier);
    return [titleId, lon, lat, now, limit, WHOLE_EARTH_RADIUS_KM, minRank, String(minReputation), region];
  }

  async setReputation(edgeId: string, reputation: number): Promise<void> {
    parseOrThrow(EdgeIdSchema, edgeId, 'edgeId');
    parseOrThrow(ReputationSchema, reputation, 'reputation');
    this.assertOpen();
    // String(number) reads back as the same number, in JS and in Lua's tonumber.
    await this.redis.hset(this.keys.reputations, edgeId, String(reputation));
  }

  async getReputation(edgeId: string): Promise<number> {
    parseOrThrow(EdgeIdSchema, edgeId, 'edgeId');
    this.assertOpen();
    const stored = await this.redis.hget(this.keys.reputations, edgeId);
    return stored === null ? DEFAULT_REPUTATION : parseStored(StoredReputationSchema, stored, this.keys.reputations);
  }

  async reserveSlot(request: SlotRequest): Promise<boolean> {
    const { edgeId, sessionId, titleId, ttlMs } = parseOrThrow(SlotRequestSchema, request, 'slot request');
    const now = this.now();
    const reply = await this.run(RESERVE_SLOT, [edgeId, sessionId, titleId, now, now + ttlMs]);
    return this.parseReply(RESERVE_SLOT, FlagReplySchema, reply);
  }

  async confirmSlot(sessionId: string): Promise<boolean> {
    parseOrThrow(SessionIdSchema, sessionId, 'sessionId');
    return this.parseReply(CONFIRM_SLOT, FlagReplySchema, await this.run(CONFIRM_SLOT, [sessionId, this.now()]));
  }

  async releaseSlot(sessionId: string, reason: SlotReleaseReason): Promise<boolean> {
    checked(isSessionId, SessionIdSchema, sessionId, 'sessionId');
    checked(isReleaseReason, SlotReleaseReasonSchema, reason, 'release reason');
    return (await this.releases.add([sessionId, this.now()])) === 1;
  }

  async slotsInUse(edgeId: string): Promise<number> {
    const key = this.keys.slots(parseOrThrow(EdgeIdSchema, edgeId, 'edgeId'));
    // Live slots only: lapsed pending reservations still in the zset are swept by the next write.
    return this.redis.zcount(key, `(${this.now()}`, '+inf');
  }

  async expireLeases(now: number): Promise<ExpiredEdge[]> {
    parseOrThrow(ClockReadingSchema, now, 'now');
    const expired: ExpiredEdge[] = [];
    for (;;) {
      const reply = await this.run(EXPIRE_LEASES, [now, EXPIRE_BATCH]);
      const batch = this.parseReply(EXPIRE_LEASES, ExpiredReplySchema, reply);
      for (const [edgeId, sessionIds] of batch) expired.push({ edgeId, sessionIds });
      if (batch.length < EXPIRE_BATCH) return expired;
    }
  }

  async enqueue(entry: QueueEntry): Promise<number> {
    const parsed = parseOrThrow(QueueEntrySchema, entry, 'queue entry');
    const reply = await this.run(ENQUEUE, [parsed.titleId, parsed.region, parsed.entryId, JSON.stringify(parsed)]);
    return this.parseReply(ENQUEUE, PositionReplySchema, reply);
  }

  async queuePosition(ref: QueueRef, entryId: string): Promise<number | undefined> {
    const key = this.queueKey(ref);
    parseOrThrow(QueueEntryIdSchema, entryId, 'entryId');
    const rank = await this.redis.zrank(key, entryId);
    return rank === null ? undefined : rank + 1;
  }

  async queueLength(ref: QueueRef): Promise<number> {
    return this.redis.zcard(this.queueKey(ref));
  }

  async queueHead(ref: QueueRef, count: number): Promise<QueueEntry[]> {
    const { titleId, region } = parseOrThrow(QueueRefSchema, ref, 'queue');
    parseOrThrow(QueueHeadCountSchema, count, 'count');
    const reply = await this.run(QUEUE_HEAD, [titleId, region, count]);
    return this.parseReply(QUEUE_HEAD, QueueHeadReplySchema, reply);
  }

  async takeFromQueue(ref: QueueRef, entryId: string): Promise<boolean> {
    return this.removeQueueEntry(ref, entryId);
  }

  async leaveQueue(ref: QueueRef, entryId: string): Promise<boolean> {
    return this.removeQueueEntry(ref, entryId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit();
  }

  private now(): number {
    this.assertOpen();
    return parseOrThrow(ClockReadingSchema, this.clock(), 'clock reading');
  }

  private assertOpen(): void {
    if (this.closed) throw makeError(ErrorCode.INTERNAL, 'store is closed');
  }

  /** The queue's zset key; validates the reference and that the store is open. */
  private queueKey(ref: QueueRef): string {
    const { titleId, region } = parseOrThrow(QueueRefSchema, ref, 'queue');
    this.assertOpen();
    return this.keys.queue(titleId, region);
  }

  private async removeQueueEntry(ref: QueueRef, entryId: string): Promise<boolean> {
    const { titleId, region } = parseOrThrow(QueueRefSchema, ref, 'queue');
    parseOrThrow(QueueEntryIdSchema, entryId, 'entryId');
    const reply = await this.run(REMOVE_QUEUE_ENTRY, [titleId, region, entryId]);
    return this.parseReply(REMOVE_QUEUE_ENTRY, FlagReplySchema, reply);
  }

  private run(script: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    this.assertOpen();
    return script.run(this.redis, [this.prefix, ...args]);
  }

  private parseReply<S extends z.ZodType>(script: LuaScript, schema: S, reply: unknown): z.output<S> {
    return parseStored(schema, reply, `reply of ${script.name}`);
  }
}

/** Parses what came back from Redis; anything else is a corrupt record, not a crash. */
function parseStored<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw makeError(ErrorCode.INTERNAL, `corrupt store record at ${where}`, { where, issues: result.error.issues });
}

const corruptReply = (script: LuaScript): never => {
  throw makeError(ErrorCode.INTERNAL, `corrupt store record at reply of ${script.name}`);
};

/**
 * A candidate row of the candidate scripts, checked by hand (zod took ~8 % of the broker's
 * time on this path, bench); undefined when anything is off, which is a corrupt record.
 */
function parseCandidateRow(row: unknown): EdgeCandidate | undefined {
  if (!Array.isArray(row) || row.length !== 8) return undefined;
  const [edgeId, signalingUrl, region, maxSessions, freeSlots, distance, rank, reputationText] = row as unknown[];
  const distanceKm = Number(distance);
  const reputation = Number(reputationText);
  const gpuTier = typeof rank === 'number' ? GPU_TIERS[rank] : undefined;
  if (
    typeof edgeId !== 'string' ||
    typeof signalingUrl !== 'string' ||
    typeof region !== 'string' ||
    typeof maxSessions !== 'number' ||
    !Number.isSafeInteger(maxSessions) ||
    typeof freeSlots !== 'number' ||
    !Number.isSafeInteger(freeSlots) ||
    freeSlots < 0 ||
    typeof distance !== 'string' ||
    !(distanceKm >= 0) ||
    gpuTier === undefined ||
    typeof reputationText !== 'string' ||
    reputationText === '' ||
    !(reputation >= 0 && reputation <= 1)
  ) {
    return undefined;
  }
  return { edgeId, signalingUrl, region, maxSessions, freeSlots, distanceKm, gpuTier, reputation };
}
