import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { ErrorCode, makeError } from '../errors.js';
import { parseOrThrow } from '../protocol/parse.js';
import { TicketPayloadSchema, TicketSchema, type TicketPayload } from '../protocol/ticket.js';

/*
 * Session tickets are Ed25519 (node:crypto): the hot path signs and checks one per
 * placement, and Ed25519 is ~30x cheaper than secp256k1 here (see DESIGN.md).
 */

export interface TicketKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateTicketKeyPair(): TicketKeyPair {
  return generateKeyPairSync('ed25519');
}

/** The public key as base64 DER (SPKI), the form it travels in. */
export function exportPublicKey(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

export function importPublicKey(spkiBase64: string): KeyObject {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not ed25519: ${key.asymmetricKeyType}`);
    return key;
  } catch (error) {
    throw makeError(ErrorCode.INVALID_MESSAGE, 'broker public key is not an Ed25519 SPKI key', error);
  }
}

export function newTicketNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function signTicket(payload: TicketPayload, privateKey: KeyObject): string {
  const body = Buffer.from(JSON.stringify(TicketPayloadSchema.parse(payload))).toString('base64url');
  const signature = sign(null, Buffer.from(body), privateKey).toString('base64url');
  return `${body}.${signature}`;
}

export interface TicketExpectation {
  edgeId: string;
  now: number;
}

/**
 * Checks a ticket's signature, the edge it names and its expiry. It does not check
 * reuse: that needs memory of used nonces, which the edge keeps.
 */
export function verifyTicket(ticket: unknown, publicKey: KeyObject, expect: TicketExpectation): TicketPayload {
  const payload = readSignedTicket(ticket, publicKey);
  if (payload.edgeId !== expect.edgeId) {
    throw makeError(ErrorCode.TICKET_INVALID, 'ticket was issued for another edge');
  }
  if (payload.exp <= expect.now) throw makeError(ErrorCode.TICKET_EXPIRED, 'ticket has expired');
  return payload;
}

/**
 * A ticket's payload once its signature verifies (TICKET_INVALID otherwise), whatever its edge
 * and expiry: what a broker reads from a ticket it issued to learn whose session it names.
 */
export function readSignedTicket(ticket: unknown, publicKey: KeyObject): TicketPayload {
  const text = parseOrThrow(TicketSchema, ticket, 'ticket');
  const [body = '', signature = ''] = text.split('.');
  const signatureBytes = Buffer.from(signature, 'base64url');
  if (signatureBytes.length !== 64 || !verify(null, Buffer.from(body), publicKey, signatureBytes)) {
    throw makeError(ErrorCode.TICKET_INVALID, 'ticket signature does not verify');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw makeError(ErrorCode.TICKET_INVALID, 'ticket payload is not JSON');
  }
  const parsed = TicketPayloadSchema.safeParse(json);
  if (!parsed.success) throw makeError(ErrorCode.TICKET_INVALID, 'ticket payload has the wrong shape');
  return parsed.data;
}
