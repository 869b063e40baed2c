import { z } from 'zod';
import { BaseUnitsSchema, Bytes32Schema, PublishStatusSchema } from '@edgeplay/shared';
import type { PublishRecord } from './publish-store.js';

const WholeNumber = z.int().nonnegative();

/** A publish record as stored (JSON; `total` as a decimal string). Read back through it, so corruption is caught. */
export const StoredPublishRecordSchema = z.object({
  epoch: z.int().positive(),
  root: Bytes32Schema,
  total: BaseUnitsSchema,
  operators: WholeNumber,
  status: PublishStatusSchema,
  txHashes: z.array(Bytes32Schema),
  rawTx: z
    .string()
    .regex(/^0x[0-9a-f]*$/i)
    .nullable(),
  nonce: WholeNumber.nullable(),
  blockNumber: WholeNumber.nullable(),
  error: z.string().nullable(),
  createdAt: WholeNumber,
  updatedAt: WholeNumber,
  revision: z.int().positive(),
}) satisfies z.ZodType<PublishRecord, unknown>;

export const EpochNumberSchema = z
  .int()
  .positive()
  .max(2 ** 53 - 1);

/** A fresh record for a closed epoch: pending, nothing signed yet. */
export function newPublishRecord(
  epoch: number,
  root: string,
  total: bigint,
  operators: number,
  now: number,
): PublishRecord {
  return {
    epoch,
    root,
    total,
    operators,
    status: 'pending',
    txHashes: [],
    rawTx: null,
    nonce: null,
    blockNumber: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
}
