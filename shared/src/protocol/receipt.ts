import { z } from 'zod';
import type { Ack } from './ack.js';
import {
  EdgeIdSchema,
  PlayerKeySchema,
  PlayerSignatureSchema,
  SessionIdSchema,
  TicketPayloadSchema,
  type TicketPayload,
} from './ticket.js';

/*
 * Usage receipts (docs/protocol.md, "Usage receipts"). Every slot of RECEIPT_PERIOD_MS of a
 * session, the player's page and the edge each sign what they saw: frames decoded / sent,
 * bitrate and round trip. The broker's ledger credits a slot only when both receipts are in
 * and agree. Slots are counted from the ticket's `iat` (the broker's clock at placement), so
 * both sides cut the session at the same instants without talking to each other.
 */

/** Length of one slot; receipt `seq` k covers [iat + k·period, iat + (k+1)·period). */
export const RECEIPT_PERIOD_MS = 10_000;
/** The shortest interval a receipt may cover (a session's last, partial slot). */
export const MIN_RECEIPT_MS = 1_000;
/** A session's first, partial slot is only reported when at least this long (else it is skipped). */
export const FIRST_RECEIPT_MIN_MS = 5_000;
/**
 * How far an interval may stray outside its slot, and a receipt's end into the broker's
 * future: clock-sync error plus a timer that fired late.
 */
export const RECEIPT_SLOT_SLACK_MS = 2_000;

export const ReceiptSideSchema = z.enum(['player', 'edge']);
export type ReceiptSide = z.infer<typeof ReceiptSideSchema>;

/** Milliseconds since the epoch (broker-synchronised clock), a whole number. */
const EpochMsSchema = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const UsageReceiptSchema = z
  .strictObject({
    v: z.literal(1),
    /** Who signed: the player's page or the edge. Part of the signed message. */
    side: ReceiptSideSchema,
    sessionId: SessionIdSchema,
    edgeId: EdgeIdSchema,
    /** The slot: 0 for the one starting at the ticket's iat. */
    seq: z.int().min(0).max(10_000_000),
    /** The interval measured, ms since epoch: from < to. */
    from: EpochMsSchema,
    to: EpochMsSchema,
    /** Player: frames decoded in the interval. Edge: video frames sent to this player. */
    frames: z.int().min(0).max(100_000),
    /** Mean bitrate over the interval (received / sent), kbit/s. */
    bitrateKbps: z.int().min(0).max(10_000_000),
    /** Round-trip time as this side measured it (WebRTC candidate pair / RTCP), null when unknown. */
    rttMs: z.int().min(0).max(60_000).nullable(),
  })
  .refine((receipt) => receipt.to > receipt.from, { message: 'to must be after from', path: ['to'] });
export type UsageReceipt = z.infer<typeof UsageReceiptSchema>;

/** A receipt as it travels: the signer's raw Ed25519 public key and its signature over receiptSigningMessage. */
export const SignedReceiptSchema = z.strictObject({
  receipt: UsageReceiptSchema,
  /** Player: the session's player key. Edge: a session key its operator authorised at join. */
  signer: PlayerKeySchema,
  signature: PlayerSignatureSchema,
});
export type SignedReceipt = z.infer<typeof SignedReceiptSchema>;

/**
 * The exact text both sides sign (UTF-8): a domain prefix, then every field in a fixed
 * order separated by ':' (no field can contain ':'). The side is part of it, so a player's
 * signature can never pass for an edge's and the other way round.
 */
export function receiptSigningMessage(receipt: UsageReceipt): string {
  const { side, sessionId, edgeId, seq, from, to, frames, bitrateKbps, rttMs } = receipt;
  return `edgeplay-receipt:v1:${side}:${sessionId}:${edgeId}:${seq}:${from}:${to}:${frames}:${bitrateKbps}:${rttMs ?? '-'}`;
}

/**
 * The ticket's payload, read without checking its signature: for the page (which got the
 * ticket from the broker over its own connection) to learn the slot anchor, `iat`.
 */
export function readTicketPayload(ticket: string): TicketPayload {
  const [body = ''] = ticket.split('.');
  const base64 = body.replace(/-/g, '+').replace(/_/g, '/');
  return TicketPayloadSchema.parse(JSON.parse(atob(base64)));
}

/* ---------- events (broker: player namespace and /edge) ---------- */

/** `receipt:submit` (player → broker) answers this; a mismatch or a bad receipt answers a RECEIPT_* code. */
export const ReceiptAnswerSchema = z.object({
  status: z.enum(['accepted', 'duplicate']),
  /** pending: the other side's receipt is not in yet; verified: both agree and the slot is credited. */
  interval: z.enum(['pending', 'verified']),
  creditedMs: z.int().nonnegative().optional(),
  qualityBps: z.int().min(0).max(10_000).optional(),
});
export type ReceiptAnswer = z.infer<typeof ReceiptAnswerSchema>;

/** The most receipts one `edge:receipts` batch may carry. */
export const MAX_RECEIPT_BATCH = 50;

/** `edge:receipts` (edge → broker): journalled receipts, oldest first; each is parsed on its own. */
export const EdgeReceiptsRequestSchema = z.strictObject({
  receipts: z.array(z.unknown()).min(1).max(MAX_RECEIPT_BATCH),
});

/** The fate of receipts[i]: kept (accepted or already known) or rejected for good, with the code. */
export const ReceiptResultSchema = z.object({
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type ReceiptResult = z.infer<typeof ReceiptResultSchema>;

export const EdgeReceiptsAnswerSchema = z.object({ results: z.array(ReceiptResultSchema) });
export type EdgeReceiptsAnswer = z.infer<typeof EdgeReceiptsAnswerSchema>;

/** `receipt:clock` (either namespace) → the broker's clock, for sides to cut slots on its time. */
export const ReceiptClockRequestSchema = z.strictObject({}).optional();
export const ReceiptClockAnswerSchema = z.object({ now: EpochMsSchema });
export type ReceiptClockAnswer = z.infer<typeof ReceiptClockAnswerSchema>;

export interface PlayerReceiptEvents {
  'receipt:submit': (payload: unknown, ack: Ack<ReceiptAnswer>) => void;
  'receipt:clock': (payload: unknown, ack: Ack<ReceiptClockAnswer>) => void;
}

export interface EdgeReceiptEvents {
  'edge:receipts': (payload: unknown, ack: Ack<EdgeReceiptsAnswer>) => void;
  'receipt:clock': (payload: unknown, ack: Ack<ReceiptClockAnswer>) => void;
}

/**
 * The offset to add to the local clock to read the broker's, from one request: the
 * broker's `now` is taken to be the midpoint of the round trip (error ≤ RTT/2).
 */
export function clockOffsetMs(sentAt: number, receivedAt: number, brokerNow: number): number {
  return Math.round(brokerNow - (sentAt + receivedAt) / 2);
}
