import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { importPublicKey, verifyTicket } from '@edgeplay/shared/node';
import { TicketIssuer } from '../src/tickets/ticket-issuer.js';

const PLAYER_KEY = `0x${'ab'.repeat(32)}`;

describe('TicketIssuer', () => {
  const issuers: TicketIssuer[] = [];
  afterEach(async () => {
    await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
  });

  it.each([
    ['inline', false],
    ['on its worker thread', true],
  ])(
    'signs %s tickets the edge verifies, for the session given, each with a fresh 16-byte nonce',
    async (_how, signOnWorker) => {
      const issuer = await TicketIssuer.create(undefined, 30_000, { signOnWorker });
      issuers.push(issuer);
      const publicKey = importPublicKey(issuer.publicKeyBase64);
      const now = Date.now();
      // More tickets than one pool of random bytes holds, asked for at once: one batch for the worker.
      const grants = Array.from({ length: 600 }, (_, i) => ({
        sessionId: randomUUID(),
        edgeId: `edge-${i % 7}`,
        titleId: 'chess',
        playerKey: PLAYER_KEY,
      }));
      const tickets = await Promise.all(grants.map((grant) => issuer.issue(grant, now)));
      const payloads = tickets.map((ticket, i) => {
        const grant = grants[i] ?? grants[0];
        const payload = verifyTicket(ticket, publicKey, { edgeId: grant?.edgeId ?? '', now });
        expect(payload).toMatchObject({ ...grant, exp: now + 30_000 });
        return payload;
      });
      const nonces = payloads.map((payload) => payload.nonce);
      expect(new Set(nonces).size).toBe(600);
      for (const nonce of nonces) expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
      // Not a counter or a repeating pattern: the bytes look random (each byte value ~ 37 times in 9,600).
      const counts = new Array<number>(256).fill(0);
      for (const nonce of nonces)
        for (const byte of Buffer.from(nonce, 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1;
      expect(Math.max(...counts)).toBeLessThan(80);
      expect(Math.min(...counts)).toBeGreaterThan(8);
    },
  );

  it('signs inline when its worker is gone, telling whoever listens, and closes its thread for good', async () => {
    const failures: Error[] = [];
    const issuer = await TicketIssuer.create(undefined, 30_000, {
      signOnWorker: true,
      onWorkerFailure: (error) => failures.push(error),
    });
    const publicKey = importPublicKey(issuer.publicKeyBase64);
    const grant = { sessionId: randomUUID(), edgeId: 'edge-1', titleId: 'chess', playerKey: PLAYER_KEY };
    const inFlight = issuer.issue(grant);
    await issuer.close();
    await issuer.close();
    const [before, after] = await Promise.all([inFlight, issuer.issue(grant)]);
    for (const ticket of [before, after]) {
      expect(verifyTicket(ticket, publicKey, { edgeId: 'edge-1', now: Date.now() }).sessionId).toBe(grant.sessionId);
    }
    expect(failures.map((error) => error.message)).toEqual(['ticket signing worker closed']);
  });
});
