import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export interface LeaseReaper {
  stop(): Promise<void>;
}

/**
 * Takes edges whose lease lapsed out of routing and frees their slots, on a timer.
 * Several brokers may run it against one Redis: the Store reports each edge once.
 */
export function startLeaseReaper({
  store,
  intervalMs,
  logger,
}: {
  store: Store;
  intervalMs: number;
  logger: Logger;
}): LeaseReaper {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = store
      .expireLeases(Date.now())
      .then((expired) => {
        for (const edge of expired) {
          logger.warn({ edgeId: edge.edgeId, sessions: edge.sessionIds }, 'edge lease lapsed; out of routing');
        }
      })
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
