import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { describeLedgerContract } from './ledger-contract.js';
import { codeOf, joinEdge, makeLedger, placeSession, T0 } from './ledger-fixture.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.close();
});

const connect = (keyPrefix: string): Promise<RedisLedger> => RedisLedger.connect({ url: server.url, keyPrefix });

describeLedgerContract('redis', async () => {
  const keyPrefix = `test-${randomUUID()}:`;
  return { store: await connect(keyPrefix), peer: await connect(keyPrefix) };
});

describe('RedisLedger on a real redis-server', () => {
  it('keeps every key under its prefix, and a corrupt record is a coded INTERNAL error', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await connect(prefix);
    const raw = new Redis(server.url);
    try {
      const ledger = makeLedger(store, () => T0 + 60_000);
      const session = await placeSession(ledger, await joinEdge(ledger));
      await ledger.submit(session.signed('player', 0), { side: 'player' });
      const keys = await raw.keys('*');
      expect(keys.filter((key) => key.includes(session.sessionId)).every((key) => key.startsWith(prefix))).toBe(true);
      await raw.hset(`${prefix}ledger:session:${session.sessionId}:last`, 'player', 'lots');
      expect(await codeOf(ledger.submit(session.signed('player', 1), { side: 'player' }))).toBe('INTERNAL');
      await raw.set(`${prefix}ledger:session:${session.sessionId}`, '{"sessionId": 4');
      expect(await codeOf(ledger.submit(session.signed('player', 1), { side: 'player' }))).toBe('INTERNAL');
    } finally {
      await raw.quit();
      await store.close();
    }
  });
});
