import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { WatchTokens } from '../src/spectate/watch-tokens.js';

const HOUR = 60 * 60 * 1000;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isEdgePlayError(error)) return error.code;
    throw error;
  }
  return undefined;
}

/** Swaps the payload of `token` for `payload`, keeping the original MAC. */
function withPayload(token: string, payload: Record<string, unknown>): string {
  const [, mac = ''] = token.split('.');
  return `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
}

describe('watch tokens', () => {
  const tokens = new WatchTokens({ edgeId: 'edge-a', ttlMs: HOUR });
  const sessionId = randomUUID();

  it('admits a token it minted, naming the session, until it expires', () => {
    const now = Date.now();
    const { token, expiresAt } = tokens.mint(sessionId, now);
    expect(expiresAt).toBe(now + HOUR);
    expect(tokens.verify(token, now + HOUR - 1).sessionId).toBe(sessionId);
    expect(codeOf(() => tokens.verify(token, now + HOUR))).toBe(ErrorCode.TICKET_EXPIRED);
  });

  it('mints a different token each time, each too long to guess', () => {
    const a = tokens.mint(sessionId).token;
    const b = tokens.mint(sessionId).token;
    expect(a).not.toBe(b);
    // 256-bit MAC; the nonce alone is 128 random bits.
    expect(a.split('.')[1]).toHaveLength(43);
  });

  it('refuses a token minted with another key (another edge process, or a forger)', () => {
    const forger = new WatchTokens({ edgeId: 'edge-a', ttlMs: HOUR, key: randomBytes(32) });
    expect(codeOf(() => tokens.verify(forger.mint(sessionId).token))).toBe(ErrorCode.TICKET_INVALID);
  });

  it('refuses a token whose payload was altered: another session, a later expiry', () => {
    const { token } = tokens.mint(sessionId);
    const [body = ''] = token.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    expect(codeOf(() => tokens.verify(withPayload(token, { ...payload, sessionId: randomUUID() })))).toBe(
      ErrorCode.TICKET_INVALID,
    );
    expect(codeOf(() => tokens.verify(withPayload(token, { ...payload, exp: Date.now() + 1000 * HOUR })))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });

  it('refuses a correctly signed token naming another edge', () => {
    const key = randomBytes(32);
    const elsewhere = new WatchTokens({ edgeId: 'edge-b', ttlMs: HOUR, key });
    const here = new WatchTokens({ edgeId: 'edge-a', ttlMs: HOUR, key });
    expect(codeOf(() => here.verify(elsewhere.mint(sessionId).token))).toBe(ErrorCode.TICKET_INVALID);
  });

  it('refuses a token whose MAC is right but whose payload is not a watch token', () => {
    const key = randomBytes(32);
    const here = new WatchTokens({ edgeId: 'edge-a', ttlMs: HOUR, key });
    // Built by hand with the right key: the shape check must still hold.
    for (const body of ['not json', JSON.stringify({ v: 2, sessionId }), JSON.stringify([1, 2])]) {
      const encoded = Buffer.from(body).toString('base64url');
      const mac = createHmac('sha256', key).update(encoded).digest('base64url');
      expect(codeOf(() => here.verify(`${encoded}.${mac}`))).toBe(ErrorCode.TICKET_INVALID);
    }
  });

  it.each([
    ['missing', undefined],
    ['a number', 42],
    ['an object', { token: 'x' }],
    ['without a MAC', 'abc'],
    ['with a short MAC', 'abc.def'],
    ['with characters outside base64url', `a+b.${'A'.repeat(43)}`],
    ['enormous', `${'A'.repeat(5000)}.${'A'.repeat(43)}`],
  ])('answers INVALID_MESSAGE for junk that is not a token at all: %s', (_what, junk) => {
    expect(codeOf(() => tokens.verify(junk))).toBe(ErrorCode.INVALID_MESSAGE);
  });

  it('answers TICKET_INVALID for a well-formed token with a made-up MAC', () => {
    const { token } = tokens.mint(sessionId);
    const [body = ''] = token.split('.');
    expect(codeOf(() => tokens.verify(`${body}.${randomBytes(32).toString('base64url')}`))).toBe(
      ErrorCode.TICKET_INVALID,
    );
  });
});
