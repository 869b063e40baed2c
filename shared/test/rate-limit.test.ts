import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/node/rate-limit.js';

describe('RateLimiter', () => {
  it('lets a burst through, then only the sustained rate', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, burst: 20 }, () => now);
    const passed = Array.from({ length: 30 }, () => limiter.take('a')).filter(Boolean).length;
    expect(passed).toBe(20);
    now += 500; // half a second refills 5
    expect(Array.from({ length: 10 }, () => limiter.take('a')).filter(Boolean).length).toBe(5);
  });

  it('keeps keys apart', () => {
    const now = 0;
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, () => now);
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    expect(limiter.take('b')).toBe(true);
  });

  it('never holds more than maxKeys buckets, even under a scan of new keys', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 1, burst: 5 }, () => now, 100);
    for (let i = 0; i < 1000; i++) {
      now += 1;
      limiter.take(`10.0.${i >> 8}.${i & 255}`);
    }
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('forgets a key, so a closed socket leaves nothing behind', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 });
    limiter.take('gone');
    limiter.forget('gone');
    expect(limiter.size).toBe(0);
  });
});
