import type { Logger } from 'pino';
import { MemoryStudioStore } from './memory-studio-store.js';
import { RedisStudioStore } from './redis-studio-store.js';
import type { StudioStore } from './studio-store.js';

export interface OpenStudioStoreOptions {
  redisUrl?: string | undefined;
  keyPrefix: string;
  logger: Logger;
}

/** Redis when a URL is configured (the same one the broker's Store uses), else memory. */
export async function openStudioStore({ redisUrl, keyPrefix, logger }: OpenStudioStoreOptions): Promise<StudioStore> {
  if (!redisUrl) return new MemoryStudioStore();
  return RedisStudioStore.connect({
    url: redisUrl,
    keyPrefix,
    onError: (error) => logger.warn({ error: error.message }, 'studio store: redis connection error'),
  });
}
