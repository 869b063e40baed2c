import type { Logger } from 'pino';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  redisUrl?: string | undefined;
  keyPrefix: string;
  logger: Logger;
}

/** Redis when a URL is configured (fails fast if it cannot be reached), else memory. */
export async function openStore({ redisUrl, keyPrefix, logger }: OpenStoreOptions): Promise<Store> {
  if (!redisUrl) {
    logger.info('store: in memory (one broker process; set REDIS_URL to share state)');
    return new MemoryStore();
  }
  const store = await RedisStore.connect({
    url: redisUrl,
    keyPrefix,
    onError: (error) => logger.warn({ error: error.message }, 'redis connection error'),
  });
  logger.info({ keyPrefix }, 'store: redis');
  return store;
}
