import { z } from 'zod';
import type { Ack } from './ack.js';
import type { ConsumerInfo, SessionEnded, TransportInfo } from './signaling-events.js';
import { SessionIdSchema } from './ticket.js';
import { TitleIdSchema } from './title-manifest.js';

/*
 * Spectators: a player asks its edge for a watch link (`watch:link` on the player's own
 * signaling socket); whoever opens the link joins the edge's `/watch` namespace with the
 * token in it and receives the session's media. The `/watch` namespace has no input and
 * no session control: spectators only receive.
 */

/** The socket.io namespace on the edge's signaling server that spectators join. */
export const WATCH_NAMESPACE = '/watch';

/**
 * `base64url(JSON payload) + "." + base64url(HMAC-SHA256 over the first part)`, made by
 * the edge with a key that lives only in that edge process.
 */
export const WatchTokenSchema = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'payload.mac in base64url');

export const WatchTokenPayloadSchema = z.strictObject({
  v: z.literal(1),
  sessionId: SessionIdSchema,
  edgeId: z.string().min(1).max(64),
  /** Expires at, ms since epoch: a link shared once does not open the session forever. */
  exp: z.int().nonnegative(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});
export type WatchTokenPayload = z.infer<typeof WatchTokenPayloadSchema>;

export const WatchLinkRequestSchema = z.strictObject({}).optional();

export interface WatchLinkAnswer {
  token: string;
  /** When the token stops admitting new spectators (ms since epoch); those watching stay. */
  expiresAt: number;
  viewers: number;
  maxViewers: number;
}

export const WatchJoinRequestSchema = z.strictObject({ token: WatchTokenSchema });

/** Spectators only ever receive: the one transport they may create is a recv transport, without SCTP. */
export const WatchTransportCreateRequestSchema = z.strictObject({ direction: z.literal('recv') });

export interface WatchJoinAnswer {
  sessionId: z.infer<typeof SessionIdSchema>;
  titleId: z.infer<typeof TitleIdSchema>;
  routerRtpCapabilities: unknown;
  viewers: number;
  maxViewers: number;
}

export const WatchViewersSchema = z.object({ viewers: z.int().nonnegative(), maxViewers: z.int().nonnegative() });
export type WatchViewers = z.infer<typeof WatchViewersSchema>;

/** The player's extra request on its own signaling socket. */
export interface PlayerWatchEvents {
  'watch:link': (payload: unknown, ack: Ack<WatchLinkAnswer>) => void;
}

/** What the edge pushes to the player about its spectators. */
export interface EdgeToPlayerWatchEvents {
  'watch:viewers': (info: WatchViewers) => void;
}

/** Spectator → edge, in the `/watch` namespace. */
export interface SpectatorToEdgeEvents {
  'watch:join': (payload: unknown, ack: Ack<WatchJoinAnswer>) => void;
  'transport:create': (payload: unknown, ack: Ack<{ transport: TransportInfo }>) => void;
  'transport:connect': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'media:consume': (payload: unknown, ack: Ack<{ consumers: ConsumerInfo[] }>) => void;
  'media:resume': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  /** Answered UNAUTHORIZED: spectators send no input. */
  'data:produce': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  /** Answered UNAUTHORIZED: only the player ends the session. */
  'session:end': (payload: unknown, ack: Ack<Record<string, never>>) => void;
}

export interface EdgeToSpectatorEvents {
  'watch:viewers': (info: WatchViewers) => void;
  'session:ended': (info: SessionEnded) => void;
}
