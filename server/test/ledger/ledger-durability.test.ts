import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { startDurableRedis, type DurableRedis } from './durable-redis.js';
import { joinEdge, makeLedger, OPERATOR_A, placeSession, T0 } from './ledger-fixture.js';

/**
 * Nothing acknowledged is lost: with AOF and fsync on every write, a redis-server killed
 * with SIGKILL and started again on its folder has every receipt, verdict and closed epoch.
 */
describe('the ledger across a Redis crash', () => {
  let redis: DurableRedis;
  const clock = () => T0 + 10 * 60_000;

  beforeAll(async () => {
    redis = await startDurableRedis();
  });

  afterAll(async () => {
    await redis?.close();
  });

  it('keeps every acknowledged receipt, verdict and closed epoch after kill -9 and a restart', async () => {
    const keyPrefix = `test-${randomUUID().slice(0, 8)}:`;
    const before = await RedisLedger.connect({ url: redis.url, keyPrefix, onError: () => undefined });
    const ledger = makeLedger(before, clock);
    const session = await placeSession(ledger, await joinEdge(ledger));
    const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
    for (let seq = 0; seq < 3; seq++) {
      await ledger.submit(session.signed('edge', seq), via);
      await ledger.submit(session.signed('player', seq), { side: 'player' });
    }
    const closed = await ledger.closeEpoch(1);
    await ledger.submit(session.signed('edge', 3), via); // pending: the player's side comes after the crash
    const intervals = await ledger.intervals(session.sessionId);

    await redis.crash();
    await redis.restart();

    const after = await RedisLedger.connect({ url: redis.url, keyPrefix });
    const restarted = makeLedger(after, clock);
    try {
      expect(await restarted.intervals(session.sessionId)).toEqual(intervals);
      expect(await restarted.closeEpoch(1)).toEqual(closed);
      expect(closed.operators.get(OPERATOR_A)?.verifiedMs).toBe(30_000);
      expect(await restarted.currentEpoch()).toBe(2);
      // Resent receipts are duplicates; the pending slot completes.
      expect(await restarted.submit(session.signed('player', 0), { side: 'player' })).toMatchObject({
        status: 'duplicate',
        interval: 'verified',
      });
      expect(await restarted.submit(session.signed('player', 3), { side: 'player' })).toMatchObject({
        status: 'accepted',
        interval: 'verified',
      });
      // The connection from before the crash reconnects by itself and sees the same ledger.
      expect(await ledger.submit(session.signed('edge', 3), via)).toMatchObject({ status: 'duplicate' });
      expect((await restarted.closeEpoch(2)).amounts.get(OPERATOR_A)).toBeGreaterThan(
        closed.amounts.get(OPERATOR_A) ?? 0n,
      );
    } finally {
      await before.close();
      await after.close();
    }
  });
});
