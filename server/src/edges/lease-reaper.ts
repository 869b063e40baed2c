import type { Logger } from 'pino';
import type { ExpiredEdge, Store } from '../store/store.js';

export interface LeaseReaper {
  stop(): Promise<void>;
}

/**
 * Takes edges whose lease lapsed out of routing and frees their slots, on a timer.
 * Several brokers may run it against one Redis: the Store reports each edge once.
 */
export interface LeaseReaperOptions {
  store: Store;
  intervalMs: number;
  logger: Logger;
  /** Called with the edges this broker reaped (each edge is reported to one broker only). */
  onExpired: (expired: ExpiredEdge[]) => void;
  /** Runs after every expiry pass (the broker drains its waiting queues here). */
  onTick?: () => Promise<void>;
}

export function startLeaseReaper({ store, intervalMs, logger, onExpired, onTick }: LeaseReaperOptions): LeaseReaper {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = store
      .expireLeases(Date.now())
      .then((expired) => {
        for (const edge of expired) {
          logger.warn({ edgeId: edge.edgeId, sessions: edge.sessionIds }, 'edge lease lapsed; out of routing');
        }
        if (expired.length) onExpired(expired);
      })
      .then(() => onTick?.())
      .catch((error: unknown) => logger.error({ error: String(error) }, 'lease expiry failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
