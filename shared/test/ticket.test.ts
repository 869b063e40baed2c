import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError, type TicketPayload } from '../src/index.js';
import {
  exportPublicKey,
  generateTicketKeyPair,
  importPublicKey,
  newTicketNonce,
  signTicket,
  verifyTicket,
} from '../src/node/index.js';

const keys = generateTicketKeyPair();
const now = 1_800_000_000_000;

function payload(overrides: Partial<TicketPayload> = {}): TicketPayload {
  return {
    v: 1,
    sessionId: '0b6f1f0e-8f0a-4c67-9a3e-2f6f1c9d4e11',
    edgeId: 'edge-a',
    titleId: 'chromium-bsu',
    playerKey: `0x${'cd'.repeat(32)}`,
    iat: now,
    exp: now + 30_000,
    nonce: newTicketNonce(),
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isEdgePlayError(error) ? error.code : 'NOT_CODED';
  }
  return undefined;
}

describe('session tickets', () => {
  it('verifies a ticket signed by the broker key and returns its payload', () => {
    const issued = payload();
    const ticket = signTicket(issued, keys.privateKey);
    expect(verifyTicket(ticket, keys.publicKey, { edgeId: 'edge-a', now })).toEqual(issued);
  });

  it('survives the trip of the public key over the wire', () => {
    const ticket = signTicket(payload(), keys.privateKey);
    const key = importPublicKey(exportPublicKey(keys.publicKey));
    expect(verifyTicket(ticket, key, { edgeId: 'edge-a', now }).titleId).toBe('chromium-bsu');
  });

  it('refuses a ticket signed by another key', () => {
    const ticket = signTicket(payload(), generateTicketKeyPair().privateKey);
    expect(codeOf(() => verifyTicket(ticket, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });

  it('refuses a ticket whose payload was altered after signing', () => {
    const ticket = signTicket(payload(), keys.privateKey);
    const [, signature] = ticket.split('.');
    const forged = Buffer.from(JSON.stringify(payload({ titleId: 'other-game' }))).toString('base64url');
    expect(codeOf(() => verifyTicket(`${forged}.${signature}`, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });

  it('refuses a ticket issued for another edge', () => {
    const ticket = signTicket(payload({ edgeId: 'edge-b' }), keys.privateKey);
    expect(codeOf(() => verifyTicket(ticket, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });

  it('refuses an expired ticket', () => {
    const ticket = signTicket(payload({ exp: now - 1 }), keys.privateKey);
    expect(codeOf(() => verifyTicket(ticket, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
      ErrorCode.TICKET_EXPIRED,
    );
  });

  it.each([undefined, 42, '', 'not-a-ticket', 'a.b.c', `${'x'.repeat(3000)}.y`])(
    'answers junk %s with INVALID_MESSAGE',
    (junk) => {
      expect(codeOf(() => verifyTicket(junk, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
        ErrorCode.INVALID_MESSAGE,
      );
    },
  );

  it('refuses a well-formed ticket with a garbage signature', () => {
    const body = Buffer.from(JSON.stringify(payload())).toString('base64url');
    expect(codeOf(() => verifyTicket(`${body}.AAAA`, keys.publicKey, { edgeId: 'edge-a', now }))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });

  it('will not import a key that is not Ed25519', () => {
    expect(codeOf(() => importPublicKey('bm90IGEga2V5'))).toBe(ErrorCode.INVALID_MESSAGE);
  });
});
