import { z } from 'zod';
import type { Ack } from './ack.js';
import { PlayerSignatureSchema, SessionIdSchema, TicketSchema } from './ticket.js';
import { TitleIdSchema } from './title-manifest.js';

/*
 * player ↔ edge signaling. mediasoup's own parameter objects are checked here for the
 * shape the edge relies on; mediasoup validates the rest and its TypeErrors are turned
 * into INVALID_MESSAGE answers.
 */

const IdSchema = z.string().min(1).max(64);
const LooseArray = z.array(z.looseObject({})).max(64);

export const RtpCapabilitiesSchema = z.looseObject({
  codecs: LooseArray,
  headerExtensions: LooseArray.optional(),
});

export const DtlsParametersSchema = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.looseObject({ algorithm: z.string().max(32), value: z.string().max(256) }))
    .min(1)
    .max(8),
});

export const SctpCapabilitiesSchema = z.looseObject({
  numStreams: z.looseObject({ OS: z.int().min(1).max(65535), MIS: z.int().min(1).max(65535) }),
});

export const SctpStreamParametersSchema = z.looseObject({
  streamId: z.int().min(0).max(65534),
  ordered: z.boolean().optional(),
  maxPacketLifeTime: z.int().min(0).optional(),
  maxRetransmits: z.int().min(0).optional(),
});

export const JoinRequestSchema = z.strictObject({
  ticket: TicketSchema,
  /** The player key's signature over playerJoinMessage(ticket). */
  signature: PlayerSignatureSchema,
});

/** A one-time challenge for this connection, to be signed in `session:resume`. */
export const ResumeChallengeSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);

export const SessionResumeRequestSchema = z.strictObject({
  sessionId: SessionIdSchema,
  /** The ticket the session was opened with: it names the session, it is not used again. */
  ticket: TicketSchema,
  /** The player key's signature over playerResumeMessage(challenge, ticket). */
  signature: PlayerSignatureSchema,
});

export const RestartIceRequestSchema = z.strictObject({ transportId: IdSchema });

export const TransportCreateRequestSchema = z.strictObject({
  direction: z.enum(['send', 'recv']),
  sctpCapabilities: SctpCapabilitiesSchema.optional(),
});

export const TransportConnectRequestSchema = z.strictObject({
  transportId: IdSchema,
  dtlsParameters: DtlsParametersSchema,
});

export const ConsumeRequestSchema = z.strictObject({ rtpCapabilities: RtpCapabilitiesSchema });

export const ResumeRequestSchema = z.strictObject({ consumerId: IdSchema });

export const DataProduceRequestSchema = z.strictObject({
  transportId: IdSchema,
  sctpStreamParameters: SctpStreamParametersSchema,
  label: z.string().max(64),
  protocol: z.string().max(64),
});

export const EmptyRequestSchema = z.strictObject({}).optional();

/** What the edge answers about a transport it created for the page. */
export interface TransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
  sctpParameters?: unknown;
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: unknown;
}

export interface JoinAnswer {
  sessionId: z.infer<typeof SessionIdSchema>;
  titleId: z.infer<typeof TitleIdSchema>;
  routerRtpCapabilities: unknown;
}

export interface PlayerToEdgeEvents {
  'session:join': (payload: unknown, ack: Ack<JoinAnswer>) => void;
  'transport:create': (payload: unknown, ack: Ack<{ transport: TransportInfo }>) => void;
  'transport:connect': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'media:consume': (payload: unknown, ack: Ack<{ consumers: ConsumerInfo[] }>) => void;
  'media:resume': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'data:produce': (payload: unknown, ack: Ack<{ id: string }>) => void;
  'session:end': (payload: unknown, ack: Ack<Record<string, never>>) => void;
  'session:challenge': (payload: unknown, ack: Ack<{ challenge: string }>) => void;
  'session:resume': (payload: unknown, ack: Ack<JoinAnswer>) => void;
  'transport:restart-ice': (payload: unknown, ack: Ack<{ iceParameters: unknown }>) => void;
}

export const SessionEndedSchema = z.object({
  code: z.string(),
  reason: z.string(),
});
export type SessionEnded = z.infer<typeof SessionEndedSchema>;

/** Sent when the edge drops a data-channel message (at most once a second per session). */
export const InputRejectedSchema = z.object({ code: z.string(), message: z.string() });
export type InputRejected = z.infer<typeof InputRejectedSchema>;

export interface EdgeToPlayerEvents {
  'session:ended': (info: SessionEnded) => void;
  'input:rejected': (info: InputRejected) => void;
}
