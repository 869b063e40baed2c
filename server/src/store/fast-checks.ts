import { z } from 'zod';
import { GPU_TIERS, parseOrThrow } from '@edgeplay/shared';
import { MAX_DURATION_MS, MAX_GEO_LATITUDE } from './store-schemas.js';
import type { PlacementQuery, SlotClaim, SlotReleaseReason } from './store.js';

/*
 * The Store's hottest calls (a placement, a release, a heartbeat) take inputs the broker
 * has already checked at the socket, and zod re-checking them was ~8 % of the broker's
 * time per placement (bench profile). These checks accept only what the zod schemas in
 * store-schemas.ts accept, by hand and without allocating; whatever they do not accept
 * goes to zod, which refuses it with its usual message (or accepts an odd but valid
 * spelling). So they decide nothing the schemas would decide otherwise;
 * test/fast-checks.test.ts holds them to that.
 */

const TITLE_ID = /^[a-z0-9][a-z0-9-]*$/;
const ID_OR_LABEL = /^[A-Za-z0-9._-]+$/;
const UUID = z.regexes.uuid();
const PLACEMENT_KEYS = new Set([
  'titleId',
  'lat',
  'lon',
  'limit',
  'minGpuTier',
  'minReputation',
  'region',
  'includeFull',
  'probes',
]);
const TIERS: ReadonlySet<unknown> = new Set(GPU_TIERS);
const RELEASE_REASONS: ReadonlySet<unknown> = new Set(['ended', 'cancelled', 'failed', 'kicked']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNumberIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && value >= min && value <= max;

const isIntIn = (value: unknown, min: number, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

export const isTitleId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 2 && value.length <= 48 && TITLE_ID.test(value);

/** An edge id or a label (region): both are 1..64 of [A-Za-z0-9._-]. */
export const isEdgeId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 64 && ID_OR_LABEL.test(value);

export const isSessionId = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export const isDurationMs = (value: unknown): value is number => isIntIn(value, 1, MAX_DURATION_MS);

export const isReleaseReason = (value: unknown): value is SlotReleaseReason => RELEASE_REASONS.has(value);

const isProbe = (value: unknown): boolean => {
  if (!isObject(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== 'edgeId' && key !== 'rttMs') return false;
    keys += 1;
  }
  return keys === 2 && isEdgeId(value.edgeId) && (value.rttMs === null || isNumberIn(value.rttMs, 0, 60_000));
};

/** True only for a PlacementQuery that PlacementQuerySchema accepts as it is. */
export function isPlainPlacementQuery(value: unknown): value is PlacementQuery {
  if (!isObject(value)) return false;
  for (const key in value) if (!PLACEMENT_KEYS.has(key) || value[key] === undefined) return false;
  const { titleId, lat, lon, limit, minGpuTier, minReputation, region, includeFull, probes } = value;
  return (
    isTitleId(titleId) &&
    isNumberIn(lat, -MAX_GEO_LATITUDE, MAX_GEO_LATITUDE) &&
    isNumberIn(lon, -180, 180) &&
    isIntIn(limit, 1, 100) &&
    (!('minGpuTier' in value) || TIERS.has(minGpuTier)) &&
    (!('minReputation' in value) || isNumberIn(minReputation, 0, 1)) &&
    (!('region' in value) || isEdgeId(region)) &&
    (!('includeFull' in value) || typeof includeFull === 'boolean') &&
    (!('probes' in value) || (Array.isArray(probes) && probes.length <= 16 && probes.every(isProbe)))
  );
}

/** True only for a SlotClaim that SlotClaimSchema accepts as it is. */
export function isPlainSlotClaim(value: unknown): value is SlotClaim {
  if (!isObject(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (key !== 'sessionId' && key !== 'ttlMs') return false;
    keys += 1;
  }
  return keys === 2 && isSessionId(value.sessionId) && isDurationMs(value.ttlMs);
}

/** The value itself when the fast check accepts it, else what zod makes of it (or INVALID_MESSAGE). */
export function checked<T>(
  fast: (value: unknown) => value is T,
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
): T {
  return fast(value) ? value : parseOrThrow(schema, value, what);
}
