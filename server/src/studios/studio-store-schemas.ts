import { z } from 'zod';
import {
  ApiKeyIdSchema,
  SessionIdSchema,
  StudioIdSchema,
  StudioNameSchema,
  StudioTitleManifestSchema,
  TitleIdSchema,
} from '@edgeplay/shared';

/* What both studio stores accept and read back; ids reach Redis key names only after these. */

export const KeyHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest (64 hex digits)');
export const CoverIdSchema = z.string().regex(/^[0-9a-f]{64}\.(png|jpg)$/, '<sha256>.png or .jpg');
const TimeSchema = z.int().nonnegative();

export const StudioRecordSchema = z.strictObject({
  studioId: StudioIdSchema,
  name: StudioNameSchema,
  createdAt: TimeSchema,
});

export const ApiKeyRecordSchema = z.strictObject({
  keyId: ApiKeyIdSchema,
  studioId: StudioIdSchema,
  createdAt: TimeSchema,
});

export const StudioTitleRecordSchema = z.strictObject({
  studioId: StudioIdSchema,
  manifest: StudioTitleManifestSchema,
  createdAt: TimeSchema,
  updatedAt: TimeSchema,
});

export const CoverImageSchema = z.strictObject({
  coverId: CoverIdSchema,
  contentType: z.enum(['image/png', 'image/jpeg']),
  bytes: z.instanceof(Buffer),
  studioId: StudioIdSchema,
});

export { SessionIdSchema, StudioIdSchema, TitleIdSchema, ApiKeyIdSchema, TimeSchema };
