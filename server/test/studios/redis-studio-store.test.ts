import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { RedisStudioStore } from '../../src/studios/redis-studio-store.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { describeStudioStoreContract, manifest } from './studio-store-contract.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.close();
});

/** Every test gets its own key prefix, so tests share one server without seeing each other. */
const connect = (keyPrefix: string): Promise<RedisStudioStore> =>
  RedisStudioStore.connect({ url: server.url, keyPrefix });

describeStudioStoreContract('redis', async () => {
  const prefix = `test-${randomUUID()}:`;
  return { store: await connect(prefix), peer: await connect(prefix) };
});

describe('RedisStudioStore on a real redis-server', () => {
  it('keeps its keys under <prefix>studios: and stores no API key, only its hash', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await connect(prefix);
    const raw = new Redis(server.url);
    try {
      const studioId = randomUUID();
      const hash = 'c'.repeat(64);
      await store.addApiKey({ keyId: 'aaaaaaaaaaaaaaaa', studioId, createdAt: 1 }, hash);
      await store.createTitle({ studioId, manifest: manifest('kept'), createdAt: 1, updatedAt: 1 });
      const keys = await raw.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => key.startsWith(`${prefix}studios:`))).toBe(true);
      expect(keys).toContain(`${prefix}studios:key:${hash}`);
    } finally {
      await raw.quit();
      await store.close();
    }
  });

  it('reports a corrupt title record as INTERNAL, naming the key', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await connect(prefix);
    const raw = new Redis(server.url);
    try {
      await raw.hset(`${prefix}studios:title:broken`, 'studioId', randomUUID(), 'record', '{"manifest":1}');
      const error: unknown = await store.getTitle('broken').catch((thrown: unknown) => thrown);
      expect(isEdgePlayError(error, ErrorCode.INTERNAL)).toBe(true);
      expect(String(error)).toContain(`${prefix}studios:title:broken`);
    } finally {
      await raw.quit();
      await store.close();
    }
  });
});
