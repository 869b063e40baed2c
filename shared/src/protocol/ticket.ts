import { z } from 'zod';
import { TitleIdSchema } from './title-manifest.js';

export const EdgeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore');

export const SessionIdSchema = z.uuid();

/**
 * The player's Ed25519 public key for this session (raw 32 bytes, 0x + lowercase hex),
 * made in the page with WebCrypto. The ticket is bound to it: only the page holding the
 * private key can open the session, and later sign its usage receipts.
 */
export const PlayerKeySchema = z.string().regex(/^0x[0-9a-f]{64}$/, '0x and 64 lowercase hex digits');

/** What the page signs with its player key to open the session a ticket grants. */
export function playerJoinMessage(ticket: string): string {
  return `edgeplay-join:${ticket}`;
}

/**
 * What the page's player key signs to take a running session back after a network drop:
 * the edge's one-time challenge for this connection and the session's ticket, so a
 * recorded resume is useless on any other connection.
 */
export function playerResumeMessage(challenge: string, ticket: string): string {
  return `edgeplay-resume:${challenge}:${ticket}`;
}

/**
 * What the page's player key signs to hear about its session from a broker it connected to
 * after it was placed (the broker restarted, or the page reconnected to another): that broker
 * connection's socket id and the session's ticket, so a recorded proof is useless on any other
 * connection.
 */
export function playerRejoinMessage(brokerSocketId: string, ticket: string): string {
  return `edgeplay-rejoin:${brokerSocketId}:${ticket}`;
}

/** An Ed25519 signature: 64 bytes as 0x + 128 lowercase hex digits. */
export const PlayerSignatureSchema = z.string().regex(/^0x[0-9a-f]{128}$/, '0x and 128 lowercase hex digits');

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
  playerKey: PlayerKeySchema,
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
