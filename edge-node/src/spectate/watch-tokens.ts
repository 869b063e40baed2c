import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ErrorCode,
  makeError,
  parseOrThrow,
  WatchTokenPayloadSchema,
  WatchTokenSchema,
  type WatchTokenPayload,
} from '@edgeplay/shared';

export interface WatchTokensOptions {
  edgeId: string;
  /** How long a minted link admits new spectators. */
  ttlMs: number;
  /** The MAC key; default: 32 fresh random bytes, so tokens die with this edge process. */
  key?: Buffer;
}

/**
 * Watch links' tokens. Only this edge process checks them, so a symmetric MAC with a key
 * that never leaves the process is enough: a token cannot be guessed or forged (HMAC-SHA256),
 * names the one session it opens, and expires. That the session is still running is the
 * caller's check: a token for an ended session verifies here and opens nothing.
 */
export class WatchTokens {
  private readonly key: Buffer;

  constructor(private readonly options: WatchTokensOptions) {
    this.key = options.key ?? randomBytes(32);
  }

  mint(sessionId: string, now: number = Date.now()): { token: string; expiresAt: number } {
    const payload: WatchTokenPayload = {
      v: 1,
      sessionId,
      edgeId: this.options.edgeId,
      exp: now + this.options.ttlMs,
      nonce: randomBytes(16).toString('base64url'),
    };
    const body = Buffer.from(JSON.stringify(WatchTokenPayloadSchema.parse(payload))).toString('base64url');
    return { token: `${body}.${this.mac(body).toString('base64url')}`, expiresAt: payload.exp };
  }

  /**
   * The payload of a token this edge minted and that has not expired. Throws
   * INVALID_MESSAGE for something that is not a token at all, TICKET_INVALID for a
   * forged or altered one (or another edge's), TICKET_EXPIRED after its expiry.
   */
  verify(token: unknown, now: number = Date.now()): WatchTokenPayload {
    const text = parseOrThrow(WatchTokenSchema, token, 'watch token');
    const [body = '', mac = ''] = text.split('.');
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw makeError(ErrorCode.TICKET_INVALID, 'this watch link is not valid on this node');
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw makeError(ErrorCode.TICKET_INVALID, 'this watch link is not valid on this node');
    }
    const parsed = WatchTokenPayloadSchema.safeParse(json);
    if (!parsed.success || parsed.data.edgeId !== this.options.edgeId) {
      throw makeError(ErrorCode.TICKET_INVALID, 'this watch link is not valid on this node');
    }
    if (parsed.data.exp <= now) throw makeError(ErrorCode.TICKET_EXPIRED, 'this watch link has expired');
    return parsed.data;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
