import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { RedisPublishStore } from '../../src/payouts/redis-publish-store.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { ALICE, describePublishStoreContract, epochInput } from './publish-store-contract.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.close();
});

const connect = (keyPrefix: string): Promise<RedisPublishStore> =>
  RedisPublishStore.connect({ url: server.url, keyPrefix });

describePublishStoreContract('redis', async () => {
  const prefix = `test-${randomUUID()}:`;
  return { store: await connect(prefix), peer: await connect(prefix) };
});

describe('RedisPublishStore on a real redis-server', () => {
  it('keeps every key under its prefix, leaves and trees keyed by root', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await connect(prefix);
    const raw = new Redis(server.url);
    try {
      const input = await epochInput(1, [[ALICE, 5n]]);
      await store.createEpoch(input, 1);
      await store.acquireLease('a', 5_000);
      expect((await raw.keys(`${prefix}*`)).sort()).toEqual(
        [
          'payouts:amounts:' + input.root,
          'payouts:epoch:1',
          'payouts:epochs',
          'payouts:lease',
          'payouts:tree:' + input.root,
        ]
          .map((key) => prefix + key)
          .sort(),
      );
    } finally {
      await raw.quit();
      await store.close();
    }
  });

  it('turns a corrupt record into a coded INTERNAL error, not a crash', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await connect(prefix);
    const raw = new Redis(server.url);
    try {
      await store.createEpoch(await epochInput(1, [[ALICE, 5n]]), 1);
      await raw.hset(`${prefix}payouts:epoch:1`, 'record', '{"epoch": "one"');
      await expect(store.get(1)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
      await expect(store.list()).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
    } finally {
      await raw.quit();
      await store.close();
    }
  });

  it('fails fast, saying where, when Redis cannot be reached', async () => {
    await expect(RedisPublishStore.connect({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:' })).rejects.toThrow(
      /cannot reach Redis at 127.0.0.1:1/,
    );
  });
});
