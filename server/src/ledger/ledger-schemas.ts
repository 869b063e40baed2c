import { z } from 'zod';
import { EdgeIdSchema, PlayerKeySchema, SessionIdSchema, SignedReceiptSchema, TitleIdSchema } from '@edgeplay/shared';

/* What the ledger stores, parsed on the way in and on the way back out of Redis. */

const Ms = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
/** An EIP-55 address as the join proof's verification returns it. */
export const OperatorSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x address');
export const GpuClassSchema = z.string().regex(/^[a-z0-9-]{1,32}$/);
const DecimalSchema = z.string().regex(/^\d{1,78}$/);

export const TitleFpsSchema = z.record(TitleIdSchema, z.int().min(1).max(1000));

export const EdgeKeySchema = z.strictObject({ sessionKey: PlayerKeySchema, operator: OperatorSchema, expiresAt: Ms });

export const EdgeDeclarationSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  operator: OperatorSchema,
  gpuClass: GpuClassSchema,
  titleFps: TitleFpsSchema,
});

export const EdgeKeyGrantSchema = EdgeDeclarationSchema.extend({ sessionKey: PlayerKeySchema, expiresAt: Ms });

export const SessionPartiesSchema = z.strictObject({
  sessionId: SessionIdSchema,
  edgeId: EdgeIdSchema,
  operator: OperatorSchema,
  playerKey: PlayerKeySchema,
  edgeSessionKey: PlayerKeySchema.nullable(),
  gpuClass: GpuClassSchema,
  titleId: TitleIdSchema,
  titleFps: z.int().min(1).max(1000),
  anchorAt: Ms,
});

export const StoredReceiptSchema = SignedReceiptSchema;

export const VerdictRecordSchema = z.strictObject({
  status: z.enum(['verified', 'mismatch']),
  creditedMs: z.int().min(0).max(3_600_000),
  qualityBps: z.int().min(0).max(10_000),
  reason: z.string().max(300).optional(),
  operator: OperatorSchema,
  gpuClass: GpuClassSchema,
  decidedAt: Ms,
});

export const IntervalVerdictSchema = VerdictRecordSchema.extend({ epoch: z.int().min(1) });

export const EpochCloseRecordSchema = z.strictObject({
  epoch: z.int().min(1),
  closedAt: Ms,
  feeBps: z.int().min(0).max(10_000),
  rateCard: z.record(z.string(), DecimalSchema),
  operators: z.array(
    z.strictObject({
      operator: OperatorSchema,
      verifiedMs: Ms,
      intervals: z.int().min(0),
      mismatches: z.int().min(0),
      gross: DecimalSchema,
      fee: DecimalSchema,
      net: DecimalSchema,
    }),
  ),
  cumulative: z.record(OperatorSchema, DecimalSchema),
  totalGross: DecimalSchema,
  totalFee: DecimalSchema,
  totalNet: DecimalSchema,
});

export const EpochNumberSchema = z.int().min(1).max(1_000_000_000);
