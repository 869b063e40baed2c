import { ErrorCode, type ErrorAnswer } from '../errors.js';

/** Milliseconds since an arbitrary origin; injectable so tests move time by hand. */
export type MonotonicClock = () => number;

export interface RateLimit {
  /** Sustained messages per second. */
  perSecond: number;
  /** How many may arrive at once before the sustained rate applies. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key (a socket, an IP address, an edge). Idle buckets are dropped once
 * full again, so a scan of many addresses cannot grow it without bound beyond `maxKeys`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: MonotonicClock = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false when the key is over its rate. */
  take(key: string): boolean {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets a key (its socket closed). */
  forget(key: string): void {
    this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond >= this.limit.burst)
        this.buckets.delete(key);
    }
    // Still full of busy keys: make room by dropping the oldest (a fresh bucket starts full).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** The part of a socket.io server-side socket the limiter needs. */
export interface LimitedSocket {
  id: string;
  handshake: { address: string };
  use(middleware: (packet: unknown[], next: (error?: Error) => void) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  disconnect(close?: boolean): unknown;
}

export interface SocketLimits {
  /** Per connection (a player's page, an edge). */
  perSocket: RateLimiter;
  /** Per remote address, across all its connections. */
  perAddress: RateLimiter;
  /** Called once per socket when it starts being limited (for a log line). */
  onLimited?: (socket: LimitedSocket, event: string) => void;
}

const RATE_LIMITED: ErrorAnswer = {
  ok: false,
  code: ErrorCode.RATE_LIMITED,
  message: 'too many messages; slow down',
};

/**
 * Rate-limits every event a socket sends. An event over the limit is not handled: its
 * acknowledgement (if it asked for one) answers RATE_LIMITED, so a well-behaved client
 * learns to back off; a client that keeps flooding costs one bucket check per message.
 */
export function limitSocketEvents(socket: LimitedSocket, limits: SocketLimits): void {
  let reported = false;
  socket.on('disconnect', () => limits.perSocket.forget(socket.id));
  socket.use((packet, next) => {
    if (limits.perSocket.take(socket.id) && limits.perAddress.take(socket.handshake.address)) {
      reported = false;
      next();
      return;
    }
    if (!reported) {
      reported = true;
      limits.onLimited?.(socket, typeof packet[0] === 'string' ? packet[0] : '?');
    }
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') (ack as (answer: ErrorAnswer) => void)(RATE_LIMITED);
  });
}
