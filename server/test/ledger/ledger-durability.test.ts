import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { snapshotKeys, startDurableRedis, type AppendFsync, type DurableRedis } from './durable-redis.js';
import { joinEdge, makeLedger, OPERATOR_A, OPERATOR_B, placeSession, T0 } from './ledger-fixture.js';

/** The fsync policy the deployment's Redis runs with (deploy/redis/Dockerfile). */
const DEPLOYED = /"--appendfsync", "(\w+)"/.exec(
  readFileSync(new URL('../../../deploy/redis/Dockerfile', import.meta.url), 'utf8'),
)?.[1];
const POLICIES: AppendFsync[] = ['always', 'everysec'];

it('tests the fsync policy the deployment ships', () => {
  expect(POLICIES).toContain(DEPLOYED);
});

/**
 * Nothing acknowledged is lost: with AOF, a redis-server killed with SIGKILL right after the
 * last write and started again on its folder gives back every key of the ledger, value for
 * value — receipts, verdicts, session parties, edge keys and closed epochs. With
 * `everysec` each command is written to the file before it is answered (only the fsync
 * waits), so a killed process loses nothing; losing the last second would take a crash of
 * the whole machine, which no test here can cause.
 */
describe.each(POLICIES)('the ledger across a Redis crash (appendfsync %s)', (appendfsync) => {
  let redis: DurableRedis;
  const clock = () => T0 + 10 * 60_000;

  beforeAll(async () => {
    redis = await startDurableRedis(appendfsync);
  });

  afterAll(async () => {
    await redis?.close();
  });

  it('keeps every acknowledged receipt, verdict and closed epoch after kill -9 and a restart', async () => {
    const keyPrefix = `test-${randomUUID().slice(0, 8)}:`;
    const before = await RedisLedger.connect({ url: redis.url, keyPrefix, onError: () => undefined });
    const ledger = makeLedger(before, clock);
    const session = await placeSession(ledger, await joinEdge(ledger));
    const other = await placeSession(ledger, await joinEdge(ledger, { operator: OPERATOR_B }));
    const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
    const otherVia = { side: 'edge', edgeId: other.edge.edgeId } as const;
    for (let seq = 0; seq < 3; seq++) {
      await ledger.submit(session.signed('edge', seq), via);
      await ledger.submit(session.signed('player', seq), { side: 'player' });
      await ledger.submit(other.signed('player', seq), { side: 'player' });
      await ledger.submit(other.signed('edge', seq), otherVia);
    }
    const closed = await ledger.closeEpoch(1);
    await ledger.submit(session.signed('edge', 3), via); // pending: the player's side comes after the crash
    await ledger.submit(other.signed('player', 3), { side: 'player' }); // acknowledged just before the kill
    const intervals = await ledger.intervals(session.sessionId);
    const entries = await snapshotKeys(redis.url, keyPrefix);
    const pid = redis.pid();

    await redis.crash();
    await redis.restart();

    expect(redis.pid()).not.toBe(pid);
    expect(existsSync(join(redis.dir, 'appendonlydir'))).toBe(true);
    // Every entry, value for value — not just the ones the checks below read.
    expect(Object.keys(entries).length).toBeGreaterThan(10);
    expect(await snapshotKeys(redis.url, keyPrefix)).toEqual(entries);

    const after = await RedisLedger.connect({ url: redis.url, keyPrefix });
    const restarted = makeLedger(after, clock);
    try {
      expect(await restarted.intervals(session.sessionId)).toEqual(intervals);
      expect(await restarted.closeEpoch(1)).toEqual(closed);
      expect(closed.operators.get(OPERATOR_A)?.verifiedMs).toBe(30_000);
      expect(closed.operators.get(OPERATOR_B)?.verifiedMs).toBe(30_000);
      expect(await restarted.currentEpoch()).toBe(2);
      // Resent receipts are duplicates; the pending slots complete.
      expect(await restarted.submit(session.signed('player', 0), { side: 'player' })).toMatchObject({
        status: 'duplicate',
        interval: 'verified',
      });
      expect(await restarted.submit(session.signed('player', 3), { side: 'player' })).toMatchObject({
        status: 'accepted',
        interval: 'verified',
      });
      expect(await restarted.submit(other.signed('edge', 3), otherVia)).toMatchObject({
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
