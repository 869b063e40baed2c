import { z } from 'zod';
import type { Ack } from './ack.js';
import { JoinProofSchema, type JoinChallenge } from './edge-identity.js';
import { EdgeCapabilitiesSchema, GpuInfoSchema } from './edge-telemetry.js';
import type { EdgeReceiptEvents, PlayerReceiptEvents } from './receipt.js';
import { EdgeIdSchema, PlayerKeySchema, PlayerSignatureSchema, SessionIdSchema, TicketSchema } from './ticket.js';
import { TitleIdSchema, TitleSummarySchema, type TitleSummary } from './title-manifest.js';

/** An http(s) URL: what edges announce and players are sent to (never javascript:, file:, …). */
export const HttpUrlSchema = z.url({ protocol: /^https?$/ }).max(512);

/* ---------- player ↔ broker (default namespace) ---------- */

export const CatalogListRequestSchema = z.strictObject({}).optional();

/** WGS 84 degrees; latitude within the range Redis GEO can index. */
export const LocationSchema = z.strictObject({
  lat: z.number().min(-85.05112878).max(85.05112878),
  lon: z.number().min(-180).max(180),
});
export type Location = z.infer<typeof LocationSchema>;

export const CandidatesRequestSchema = z.strictObject({
  titleId: TitleIdSchema,
  /** Where the player is, if the page knows; edges nearest to it come first. */
  location: LocationSchema.optional(),
});

/** An edge the page should measure before asking for a session. */
export const CandidateSchema = z.object({
  edgeId: EdgeIdSchema,
  /** GET it a few times and take the median round-trip time. */
  probeUrl: HttpUrlSchema,
  distanceKm: z.number().nonnegative(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** What the page measured: the median RTT to each candidate, or null when it did not answer. */
export const ProbeResultSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  rttMs: z.number().nonnegative().max(60_000).nullable(),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

export const SessionRequestSchema = z.strictObject({
  titleId: TitleIdSchema,
  /** The page's Ed25519 key for this session; the ticket is bound to it. */
  playerKey: PlayerKeySchema,
  location: LocationSchema.optional(),
  /** Measured RTTs; with them the broker places by latency, without them by distance. */
  probes: z.array(ProbeResultSchema).max(16).optional(),
});
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

export const SessionPlacementSchema = z.object({
  sessionId: SessionIdSchema,
  ticket: TicketSchema,
  edge: z.object({ edgeId: EdgeIdSchema, signalingUrl: HttpUrlSchema }),
});
export type SessionPlacement = z.infer<typeof SessionPlacementSchema>;

/** Pushed by the broker when a placed session ended without the edge saying so (its lease lapsed). */
export const BrokerSessionEndedSchema = z.object({
  sessionId: SessionIdSchema,
  code: z.string(),
  reason: z.string(),
});
export type BrokerSessionEnded = z.infer<typeof BrokerSessionEndedSchema>;

/**
 * The page lost its game node (signaling and media) and asks whether the node is gone, so
 * it need not wait out the reconnect window. Only the page the session was placed for may
 * ask (its broker socket is in the session's room).
 */
export const SessionCheckSchema = z.strictObject({ sessionId: SessionIdSchema });

/**
 * `connected`: the node still holds its link to a broker (the page's own network may be
 * the trouble: keep trying); `lost`: no broker reaches it either, so it is out of routing
 * and the page should be placed again.
 */
export const SessionCheckAnswerSchema = z.object({ edge: z.enum(['connected', 'lost']) });
export type SessionCheckAnswer = z.infer<typeof SessionCheckAnswerSchema>;

/**
 * A page that is playing and has connected to a broker again (a restart, or another broker
 * behind the same address) proves that it holds the session's player key, so that this
 * connection hears `session:ended` and may ask `session:check`: the session's ticket and the
 * player key's signature over playerRejoinMessage(this socket's id, ticket).
 */
export const SessionRejoinSchema = z.strictObject({ ticket: TicketSchema, signature: PlayerSignatureSchema });
export const SessionRejoinAnswerSchema = z.object({ sessionId: SessionIdSchema });
export type SessionRejoinAnswer = z.infer<typeof SessionRejoinAnswerSchema>;

/** Code of a session whose game node was lost (its lease lapsed, or no broker and no player reach it). */
export const EDGE_LOST = 'EDGE_LOST';

export interface BrokerToPlayerEvents {
  'session:ended': (info: BrokerSessionEnded) => void;
  'queue:position': (info: QueuePosition) => void;
  'queue:placed': (info: QueuePlaced) => void;
}

/** Join the title's waiting queue (after session:request answered NO_CAPACITY). */
export const QueueJoinSchema = z.strictObject({
  titleId: TitleIdSchema,
  playerKey: PlayerKeySchema,
  location: LocationSchema.optional(),
  probes: z.array(ProbeResultSchema).max(16).optional(),
});

export const QueueLeaveSchema = z.strictObject({ titleId: TitleIdSchema, entryId: z.uuid() });

/** Where a waiting player stands; pushed by the broker until they are placed. */
export const QueuePositionSchema = z.object({
  entryId: z.uuid(),
  position: z.int().positive(),
  /** Estimated from recent session lengths; a guess, shown as one. */
  etaSeconds: z.int().nonnegative(),
  /** The edge region whose queue the player waits in (one queue per title and region). */
  region: z.string().max(64).optional(),
});
export type QueuePosition = z.infer<typeof QueuePositionSchema>;

export const QueuePlacedSchema = z.object({ entryId: z.uuid(), placement: SessionPlacementSchema });
export type QueuePlaced = z.infer<typeof QueuePlacedSchema>;

export interface PlayerToBrokerEvents extends PlayerReceiptEvents {
  'queue:join': (payload: unknown, ack: Ack<QueuePosition>) => void;
  'queue:leave': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'catalog:list': (payload: unknown, ack: Ack<{ titles: TitleSummary[] }>) => void;
  'session:candidates': (payload: unknown, ack: Ack<{ candidates: Candidate[] }>) => void;
  'session:request': (payload: unknown, ack: Ack<SessionPlacement>) => void;
  'session:check': (payload: unknown, ack: Ack<SessionCheckAnswer>) => void;
  'session:rejoin': (payload: unknown, ack: Ack<SessionRejoinAnswer>) => void;
}

/* ---------- edge ↔ broker ("/edge" namespace) ---------- */

export const EDGE_NAMESPACE = '/edge';

export const EdgeRegisterSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  /** Where players reach the edge's signaling endpoint (socket.io), e.g. http://127.0.0.1:4100 */
  signalingUrl: HttpUrlSchema,
  titles: z.array(TitleSummarySchema).max(500),
  maxSessions: z.int().min(1).max(64),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .default('local'),
  location: LocationSchema.default({ lat: 0, lon: 0 }),
  /** What the edge renders on, e.g. "rtx-4090" or "cpu". */
  gpuClass: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .default('cpu'),
  /** GPUs (none: CPU only) and encoders, probed at start. */
  capabilities: EdgeCapabilitiesSchema.optional(),
  /** The operator wallet's EIP-712 answer to this connection's `edge:challenge`. */
  proof: JoinProofSchema,
});
export type EdgeRegister = z.input<typeof EdgeRegisterSchema>;

/** Sent every few seconds; renews the edge's lease. Answered UNAUTHORIZED when the lease lapsed. */
export const EdgeHeartbeatSchema = z.strictObject({
  activeSessions: z.int().min(0).max(64),
  /** Fresh GPU readings (utilization, temperature, encoder load); absent on a CPU-only node. */
  gpus: z.array(GpuInfoSchema).max(16).optional(),
});
export type EdgeHeartbeat = z.infer<typeof EdgeHeartbeatSchema>;

/** A session the edge started (its slot is then held until it ends) or ended (the slot is freed). */
export const EdgeSessionEventSchema = z.strictObject({
  sessionId: SessionIdSchema,
  state: z.enum(['started', 'ended']),
  titleId: TitleIdSchema.optional(),
});
export type EdgeSessionEvent = z.infer<typeof EdgeSessionEventSchema>;

export interface EdgeToBrokerEvents extends EdgeReceiptEvents {
  'edge:challenge': (payload: unknown, ack: Ack<JoinChallenge>) => void;
  'edge:register': (payload: unknown, ack: Ack<{ brokerPublicKey: string; leaseMs: number }>) => void;
  'edge:heartbeat': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'edge:session': (payload: unknown, ack: Ack<Record<string, never>>) => void;
}
