import type { Logger } from 'pino';
import { Ledger } from './ledger.js';
import { MemoryLedger } from './memory-ledger.js';
import type { RateCard } from './rate-card.js';
import { RedisLedger } from './redis-ledger.js';

export interface OpenLedgerOptions {
  redisUrl?: string | undefined;
  keyPrefix: string;
  rateCard: RateCard;
  feeBps: number;
  logger: Logger;
}

/** The ledger in Redis when a URL is configured (fails fast if unreachable), else in memory. */
export async function openLedger({
  redisUrl,
  keyPrefix,
  rateCard,
  feeBps,
  logger,
}: OpenLedgerOptions): Promise<Ledger> {
  const store = redisUrl
    ? await RedisLedger.connect({
        url: redisUrl,
        keyPrefix,
        onError: (error) => logger.warn({ error: error.message }, 'ledger redis connection error'),
      })
    : new MemoryLedger();
  if (!redisUrl) logger.warn('ledger: in memory — receipts and credits are lost when the broker stops');
  return new Ledger({ store, rateCard, feeBps, logger });
}
