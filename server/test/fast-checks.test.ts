import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isDurationMs,
  isEdgeId,
  isPlainPlacementQuery,
  isPlainSlotClaim,
  isReleaseReason,
  isSessionId,
} from '../src/store/fast-checks.js';
import {
  DurationMsSchema,
  PlacementQuerySchema,
  SlotClaimSchema,
  SlotReleaseReasonSchema,
} from '../src/store/store-schemas.js';
import { EdgeIdSchema, SessionIdSchema } from '@edgeplay/shared';
import type { z } from 'zod';

const query = {
  titleId: 'chess',
  lat: 51.5,
  lon: -0.13,
  limit: 5,
  minGpuTier: 'mid',
  minReputation: 0.5,
  region: 'eu-west',
  includeFull: false,
  probes: [
    { edgeId: 'par-1', rttMs: 12.5 },
    { edgeId: 'fra-1', rttMs: null },
  ],
};

/** Values that are wrong, odd or at a limit, to put in every field. */
const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'Chess',
  'a:b',
  'x'.repeat(49),
  'x'.repeat(65),
  0,
  -0,
  1,
  1.5,
  -1,
  100,
  101,
  60_000,
  60_001,
  85.05112878,
  85.06,
  180,
  180.1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  true,
  'top',
  'rtx-4090',
  [],
  [{ edgeId: 'a', rttMs: 1 }],
  [{ edgeId: 'a', rttMs: 1, extra: 1 }],
  [{ edgeId: 'a' }],
  [{ edgeId: 'bad:id', rttMs: 1 }],
  Array.from({ length: 17 }, () => ({ edgeId: 'a', rttMs: 1 })),
  {},
  randomUUID(),
  randomUUID().toUpperCase(),
  '00000000-0000-0000-0000-000000000000',
  'f5a89f50-c9d1-990f-b317-6c8cc26ccf0b',
  24 * 60 * 60 * 1000,
  24 * 60 * 60 * 1000 + 1,
];

/** Every fast accept must be a zod accept of the same value, unchanged. */
function expectAgreement<T>(fast: (value: unknown) => value is T, schema: z.ZodType, value: unknown): number {
  if (!fast(value)) return 0;
  const parsed = schema.safeParse(value);
  expect(parsed.success, JSON.stringify(value)).toBe(true);
  expect(parsed.data).toEqual(value);
  return 1;
}

describe('fast checks accept nothing the Store schemas refuse', () => {
  it('placement queries: the plain one, and every field set to every odd value or left out', () => {
    let accepted = expectAgreement(isPlainPlacementQuery, PlacementQuerySchema, query);
    for (const key of [...Object.keys(query), 'extra']) {
      for (const value of ODD)
        accepted += expectAgreement(isPlainPlacementQuery, PlacementQuerySchema, { ...query, [key]: value });
      const without: Record<string, unknown> = { ...query };
      delete without[key];
      accepted += expectAgreement(isPlainPlacementQuery, PlacementQuerySchema, without);
    }
    expect(accepted).toBeGreaterThan(20); // the fast path is taken for real queries
    expect(isPlainPlacementQuery({ ...query, lat: 91 })).toBe(false);
  });

  it('slot claims, ids, durations and release reasons', () => {
    const claim = { sessionId: randomUUID(), ttlMs: 35_000 };
    let accepted = expectAgreement(isPlainSlotClaim, SlotClaimSchema, claim);
    for (const key of ['sessionId', 'ttlMs', 'extra']) {
      for (const value of ODD)
        accepted += expectAgreement(isPlainSlotClaim, SlotClaimSchema, { ...claim, [key]: value });
    }
    for (const value of [...ODD, 'edge-00001', 'ended', 'kicked', 'lost']) {
      accepted += expectAgreement(isSessionId, SessionIdSchema, value);
      accepted += expectAgreement(isEdgeId, EdgeIdSchema, value);
      accepted += expectAgreement(isDurationMs, DurationMsSchema, value);
      accepted += expectAgreement(isReleaseReason, SlotReleaseReasonSchema, value);
    }
    expect(accepted).toBeGreaterThan(20);
  });
});
