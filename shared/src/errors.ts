/**
 * Coded errors shared by every part of EdgePlay. The same codes travel in socket
 * acknowledgements (`{ ok: false, code, message }`) and HTTP problem responses, so a
 * client can react to a code without parsing prose.
 */
export const ErrorCode = {
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TICKET_INVALID: 'TICKET_INVALID',
  TICKET_EXPIRED: 'TICKET_EXPIRED',
  TICKET_REUSED: 'TICKET_REUSED',
  NO_CAPACITY: 'NO_CAPACITY',
  TITLE_NOT_FOUND: 'TITLE_NOT_FOUND',
  /** A studio asked for a title id another studio (or a node's own manifest) already uses. */
  TITLE_ID_TAKEN: 'TITLE_ID_TAKEN',
  /** A request body (a manifest, a cover image) over its size limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  SESSION_STATE: 'SESSION_STATE',
  EDGE_UNAVAILABLE: 'EDGE_UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  /** Too many messages from one socket, address or edge: slow down. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A usage receipt that is not what it claims: bad signature, a signer or edge that is not the session's. */
  RECEIPT_INVALID: 'RECEIPT_INVALID',
  /** A receipt whose interval cannot be right: outside its slot, too short or long, in the future. */
  RECEIPT_INTERVAL: 'RECEIPT_INTERVAL',
  /** A receipt at or before a sequence number (or time) its side already reported. */
  RECEIPT_OUT_OF_ORDER: 'RECEIPT_OUT_OF_ORDER',
  /** A second, different receipt for the same (session, sequence, side). */
  RECEIPT_CONFLICT: 'RECEIPT_CONFLICT',
  /** Both sides reported the interval and disagree beyond the tolerances: nothing is credited. */
  RECEIPT_MISMATCH: 'RECEIPT_MISMATCH',
  /** Local to `edge-node` (keygen/start): no keystore at the path, or one already there. */
  KEYSTORE_NOT_FOUND: 'KEYSTORE_NOT_FOUND',
  KEYSTORE_EXISTS: 'KEYSTORE_EXISTS',
  /** Payouts: the chain did not answer, or the broker has no chain configured. */
  CHAIN_UNAVAILABLE: 'CHAIN_UNAVAILABLE',
  /** Payouts: an epoch cannot be closed or published in its present state (e.g. the previous one is unconfirmed). */
  EPOCH_STATE: 'EPOCH_STATE',
  /** Payouts: the operator has no ATH left to claim under the current root. */
  NOTHING_TO_CLAIM: 'NOTHING_TO_CLAIM',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class EdgePlayError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'EdgePlayError';
    this.code = code;
    this.details = details;
  }
}

export function makeError(code: ErrorCode, message: string, details?: unknown): EdgePlayError {
  return new EdgePlayError(code, message, details);
}

export function isEdgePlayError(value: unknown, code?: ErrorCode): value is EdgePlayError {
  return value instanceof EdgePlayError && (code === undefined || value.code === code);
}

export interface ErrorAnswer {
  ok: false;
  code: ErrorCode;
  message: string;
}

/**
 * Turns anything thrown into the answer a peer receives. Unknown failures become
 * INTERNAL with a generic message so internals (paths, keys) never leak to a peer.
 */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (isEdgePlayError(error)) return { ok: false, code: error.code, message: error.message };
  return { ok: false, code: ErrorCode.INTERNAL, message: 'internal error' };
}
