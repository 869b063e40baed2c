import { z } from 'zod';
import {
  AddressSchema,
  Bytes32HexSchema,
  EdgeIdSchema,
  GpuTierSchema,
  HttpUrlSchema,
  PlayerKeySchema,
  ProbeResultSchema,
  SessionIdSchema,
  TitleIdSchema,
} from '@edgeplay/shared';
import type {
  CandidateQuery,
  EdgeRecord,
  PlacementQuery,
  QueueEntry,
  QueueRef,
  SlotClaim,
  SlotReleaseReason,
  SlotRequest,
} from './store.js';

/*
 * What both stores accept. Ids are restricted to characters that cannot collide with the
 * ':' separators of Redis key names, and latitude to the band Redis GEO can index, so the
 * memory store refuses exactly what Redis would.
 */

/** Redis GEO (web mercator) cannot index latitudes beyond this. */
export const MAX_GEO_LATITUDE = 85.05112878;

/** Longest lease or reservation ttl a caller may ask for: a day. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

const LabelSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore');

export const LatitudeSchema = z.number().min(-MAX_GEO_LATITUDE).max(MAX_GEO_LATITUDE);
export const LongitudeSchema = z.number().min(-180).max(180);

export const EdgeRecordSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  operator: AddressSchema,
  signalingUrl: HttpUrlSchema,
  region: LabelSchema,
  lat: LatitudeSchema,
  lon: LongitudeSchema,
  titles: z.array(TitleIdSchema).max(500),
  maxSessions: z.int().min(1).max(64),
  gpuClass: LabelSchema,
  sessionKey: Bytes32HexSchema,
  sessionKeyExpiresAt: z.int().positive(),
}) satisfies z.ZodType<EdgeRecord>;

export const DurationMsSchema = z.int().min(1).max(MAX_DURATION_MS);

/** An edge's reputation: a placeholder score for proof-of-service, 0 (never place) .. 1 (default). */
export const ReputationSchema = z.number().min(0).max(1);

export const CandidateQuerySchema = z.strictObject({
  titleId: TitleIdSchema,
  lat: LatitudeSchema,
  lon: LongitudeSchema,
  limit: z.int().min(1).max(100),
  minGpuTier: GpuTierSchema.exactOptional(),
  minReputation: ReputationSchema.exactOptional(),
  region: LabelSchema.exactOptional(),
  includeFull: z.boolean().exactOptional(),
}) satisfies z.ZodType<CandidateQuery>;

export const PlacementQuerySchema = CandidateQuerySchema.extend({
  probes: z.array(ProbeResultSchema).max(16).readonly().exactOptional(),
}) satisfies z.ZodType<PlacementQuery>;

export const SlotClaimSchema = z.strictObject({
  sessionId: SessionIdSchema,
  ttlMs: DurationMsSchema,
}) satisfies z.ZodType<SlotClaim>;

export const SlotRequestSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  sessionId: SessionIdSchema,
  titleId: TitleIdSchema,
  ttlMs: DurationMsSchema,
}) satisfies z.ZodType<SlotRequest>;

export const SlotReleaseReasonSchema = z.enum([
  'ended',
  'cancelled',
  'failed',
  'kicked',
]) satisfies z.ZodType<SlotReleaseReason>;

/** The clock must give whole ms: Redis keeps them as exact integers in scores and hashes. */
export const ClockReadingSchema = z.int().nonnegative();

/** A queue entry's id: a UUID, like a session id, so it cannot forge a ':' in a key. */
export const QueueEntryIdSchema = z.uuid();

/** Most entries one `queueHead` call returns. */
export const MAX_QUEUE_HEAD = 100;

export const QueueHeadCountSchema = z.int().min(1).max(MAX_QUEUE_HEAD);

export const QueueRefSchema = z.strictObject({
  titleId: TitleIdSchema,
  region: LabelSchema,
}) satisfies z.ZodType<QueueRef>;

export const QueueEntrySchema = z.strictObject({
  entryId: QueueEntryIdSchema,
  titleId: TitleIdSchema,
  region: LabelSchema,
  playerKey: PlayerKeySchema,
  enqueuedAt: ClockReadingSchema,
}) satisfies z.ZodType<QueueEntry>;
