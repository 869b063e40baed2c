import { z } from 'zod';
import { TitleIdSchema } from './title-manifest.js';

export const EdgeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore');

export const SessionIdSchema = z.uuid();

/**
 * What the broker vouches for when it sends a player to an edge. The edge checks the
 * signature with the broker's public key, that it is the named edge, the expiry, and
 * that the ticket's nonce was not used before.
 */
export const TicketPayloadSchema = z.strictObject({
  v: z.literal(1),
  sessionId: SessionIdSchema,
  edgeId: EdgeIdSchema,
  titleId: TitleIdSchema,
  /** Issued at, ms since epoch. */
  iat: z.int().nonnegative(),
  /** Expires at, ms since epoch. */
  exp: z.int().nonnegative(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

export type TicketPayload = z.infer<typeof TicketPayloadSchema>;

/** `base64url(JSON payload) + "." + base64url(Ed25519 signature over the first part)`. */
export const TicketSchema = z
  .string()
  .max(2048)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'payload.signature in base64url');
