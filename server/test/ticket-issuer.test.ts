import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importPublicKey, verifyTicket } from '@edgeplay/shared/node';
import { TicketIssuer } from '../src/tickets/ticket-issuer.js';

const PLAYER_KEY = `0x${'ab'.repeat(32)}`;

describe('TicketIssuer', () => {
  it('signs tickets the edge verifies, for the session it is given, each with a fresh 16-byte nonce', async () => {
    const issuer = await TicketIssuer.create(undefined, 30_000);
    const publicKey = importPublicKey(issuer.publicKeyBase64);
    const now = Date.now();
    // More tickets than one pool of random bytes holds, so the pool is refilled on the way.
    const payloads = Array.from({ length: 600 }, () => {
      const sessionId = randomUUID();
      const ticket = issuer.issue({ sessionId, edgeId: 'edge-1', titleId: 'chess', playerKey: PLAYER_KEY }, now);
      const payload = verifyTicket(ticket, publicKey, { edgeId: 'edge-1', now });
      expect(payload).toMatchObject({
        sessionId,
        edgeId: 'edge-1',
        titleId: 'chess',
        playerKey: PLAYER_KEY,
        exp: now + 30_000,
      });
      return payload;
    });
    const nonces = payloads.map((payload) => payload.nonce);
    expect(new Set(nonces).size).toBe(600);
    expect(new Set(payloads.map((payload) => payload.sessionId)).size).toBe(600);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    // Not a counter or a repeating pattern: the bytes look random (each byte value ~ 37 times in 9,600).
    const counts = new Array<number>(256).fill(0);
    for (const nonce of nonces)
      for (const byte of Buffer.from(nonce, 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1;
    expect(Math.max(...counts)).toBeLessThan(80);
    expect(Math.min(...counts)).toBeGreaterThan(8);
  });
});
