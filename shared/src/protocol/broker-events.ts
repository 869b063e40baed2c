import { z } from 'zod';
import type { Ack } from './ack.js';
import { EdgeIdSchema, SessionIdSchema, TicketSchema } from './ticket.js';
import { TitleIdSchema, TitleSummarySchema, type TitleSummary } from './title-manifest.js';

/** An http(s) URL: what edges announce and players are sent to (never javascript:, file:, …). */
export const HttpUrlSchema = z.url({ protocol: /^https?$/ }).max(512);

/* ---------- player ↔ broker (default namespace) ---------- */

export const CatalogListRequestSchema = z.strictObject({}).optional();

export const SessionRequestSchema = z.strictObject({ titleId: TitleIdSchema });
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

export const SessionPlacementSchema = z.object({
  sessionId: SessionIdSchema,
  ticket: TicketSchema,
  edge: z.object({ edgeId: EdgeIdSchema, signalingUrl: HttpUrlSchema }),
});
export type SessionPlacement = z.infer<typeof SessionPlacementSchema>;

export interface PlayerToBrokerEvents {
  'catalog:list': (payload: unknown, ack: Ack<{ titles: TitleSummary[] }>) => void;
  'session:request': (payload: unknown, ack: Ack<SessionPlacement>) => void;
}

/* ---------- edge ↔ broker ("/edge" namespace) ---------- */

export const EDGE_NAMESPACE = '/edge';

export const EdgeRegisterSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  /** Where players reach the edge's signaling endpoint (socket.io), e.g. http://127.0.0.1:4100 */
  signalingUrl: HttpUrlSchema,
  titles: z.array(TitleSummarySchema).max(500),
  maxSessions: z.int().min(1).max(64),
});
export type EdgeRegister = z.infer<typeof EdgeRegisterSchema>;

export const EdgeLoadSchema = z.strictObject({
  activeSessions: z.int().min(0).max(64),
});
export type EdgeLoad = z.infer<typeof EdgeLoadSchema>;

export interface EdgeToBrokerEvents {
  'edge:register': (payload: unknown, ack: Ack<{ brokerPublicKey: string }>) => void;
  'edge:load': (payload: unknown, ack: Ack<Record<string, never>>) => void;
}
