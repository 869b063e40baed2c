import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Clock, EdgeRecord } from '../../src/store/store.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { describeStoreContract } from './store-contract.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.close();
});

/** Every test gets its own key prefix, so tests share one server without seeing each other. */
const freshPrefix = (): string => `test-${randomUUID()}:`;

const connect = (keyPrefix: string, clock: Clock = Date.now): Promise<RedisStore> =>
  RedisStore.connect({ url: server.url, keyPrefix, clock });

describeStoreContract('redis', async (clock) => {
  const keyPrefix = freshPrefix();
  return { store: await connect(keyPrefix, clock), peer: await connect(keyPrefix, clock) };
});

const FRANKFURT: EdgeRecord = {
  edgeId: 'fra-1',
  signalingUrl: 'https://fra-1.example.net:4100',
  region: 'eu-central',
  lat: 50.1109,
  lon: 8.6821,
  titles: ['chess'],
  maxSessions: 2,
  gpuClass: 'rtx-4070',
  operator: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
  sessionKey: `0x${'5e'.repeat(32)}`,
  sessionKeyExpiresAt: 1_900_000_000_000,
};

describe('RedisStore on a real redis-server', () => {
  const closers: (() => Promise<unknown>)[] = [];
  const track = <T extends RedisStore | Redis>(handle: T): T => {
    closers.push(() => (handle instanceof Redis ? handle.quit() : handle.close()));
    return handle;
  };

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('shares state between two connections: a slot reserved on A is used on B', async () => {
    const prefix = freshPrefix();
    const [a, b] = [track(await connect(prefix)), track(await connect(prefix))];
    await a.upsertEdge(FRANKFURT, 10_000);
    expect(await a.reserveSlot({ edgeId: 'fra-1', sessionId: randomUUID(), titleId: 'chess', ttlMs: 5_000 })).toBe(
      true,
    );
    expect(await b.slotsInUse('fra-1')).toBe(1);
    expect((await b.findCandidates({ titleId: 'chess', lat: 48.8566, lon: 2.3522, limit: 5 }))[0]?.freeSlots).toBe(1);
  });

  it('keeps every key under its prefix and never sees another prefix', async () => {
    const prefix = freshPrefix();
    const raw = track(new Redis(server.url));
    const mine = track(await connect(prefix));
    const other = track(await connect(freshPrefix()));
    await mine.upsertEdge(FRANKFURT, 10_000);
    await mine.reserveSlot({ edgeId: 'fra-1', sessionId: randomUUID(), titleId: 'chess', ttlMs: 5_000 });
    expect(await other.getEdge('fra-1')).toBeUndefined();
    const keys = await raw.keys(`${prefix}*`);
    expect(keys.sort()).toEqual(
      ['edge:fra-1', 'edge:fra-1:slots', 'edge:fra-1:titles', 'leases', 'title:chess:geo']
        .map((key) => prefix + key)
        .concat(keys.filter((key) => key.startsWith(`${prefix}session:`)))
        .sort(),
    );
  });

  it('turns a corrupt record into a coded INTERNAL error, not a crash', async () => {
    const prefix = freshPrefix();
    const raw = track(new Redis(server.url));
    const store = track(await connect(prefix));
    await store.upsertEdge(FRANKFURT, 10_000);
    const expectInternal = async (promise: Promise<unknown>): Promise<void> => {
      const error: unknown = await promise.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isEdgePlayError(error, ErrorCode.INTERNAL)).toBe(true);
    };

    await raw.hset(`${prefix}edge:fra-1`, 'record', '{"edgeId": 42');
    await expectInternal(store.getEdge('fra-1'));
    const near = { titleId: 'chess', lat: 50, lon: 8, limit: 5 };
    for (const [field, junk] of [
      ['gpuRank', 'top'],
      ['gpuRank', '9'],
      ['maxSessions', '-1'],
    ]) {
      await store.upsertEdge(FRANKFURT, 10_000);
      await raw.hset(`${prefix}edge:fra-1`, field ?? '', junk ?? '');
      await expectInternal(store.findCandidates(near));
    }
    await store.upsertEdge(FRANKFURT, 10_000);
    await raw.hdel(`${prefix}edge:fra-1`, 'signalingUrl');
    await expectInternal(store.findCandidates(near));

    await raw.hset(`${prefix}edge:fra-1`, 'maxSessions', 'lots');
    await expectInternal(
      store.reserveSlot({ edgeId: 'fra-1', sessionId: randomUUID(), titleId: 'chess', ttlMs: 5_000 }),
    );
    expect(await store.slotsInUse('fra-1')).toBe(0); // the refused script wrote nothing

    await raw.hset(`${prefix}edge:fra-1`, 'leaseExpiresAt', 'nan');
    await expectInternal(store.renewLease('fra-1', 10_000));
    // Heartbeats of one event-loop turn are renewed in one script run: the corrupt record
    // fails its own renewal only.
    await store.upsertEdge({ ...FRANKFURT, edgeId: 'par-1' }, 10_000);
    const [corrupt, healthy, unknown] = await Promise.allSettled([
      store.renewLease('fra-1', 10_000),
      store.renewLease('par-1', 10_000),
      store.renewLease('nobody', 10_000),
    ]);
    expect(corrupt.status === 'rejected' && isEdgePlayError(corrupt.reason, ErrorCode.INTERNAL)).toBe(true);
    expect(healthy).toEqual({ status: 'fulfilled', value: true });
    expect(unknown).toEqual({ status: 'fulfilled', value: false });

    await store.upsertEdge(FRANKFURT, 10_000);
    for (const junk of ['nan', '1.5', 'high', '']) {
      await raw.hset(`${prefix}reputations`, 'fra-1', junk);
      await expectInternal(store.getReputation('fra-1'));
      await expectInternal(store.findCandidates({ titleId: 'chess', lat: 50, lon: 8, limit: 5 }));
    }
  });

  it('runs on a throw-away redis-server that is gone once close() resolves', async () => {
    const extra = await startRedisServer();
    const raw = new Redis(extra.url);
    expect(await raw.config('GET', 'save')).toEqual(['save', '']);
    expect(await raw.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    await raw.quit();
    await extra.close();
    expect(() => process.kill(extra.pid, 0)).toThrow(/ESRCH/);
  });

  it('fails fast, saying where, when Redis cannot be reached', async () => {
    await expect(RedisStore.connect({ url: 'redis://127.0.0.1:1' })).rejects.toThrow(
      /cannot reach Redis at 127.0.0.1:1/,
    );
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH)', async () => {
    const raw = track(new Redis(server.url));
    const store = track(await connect(freshPrefix()));
    await store.upsertEdge(FRANKFURT, 10_000);
    await raw.script('FLUSH');
    expect(await store.reserveSlot({ edgeId: 'fra-1', sessionId: randomUUID(), titleId: 'chess', ttlMs: 5_000 })).toBe(
      true,
    );
    expect(await store.renewLease('fra-1', 10_000)).toBe(true);
  });
});
