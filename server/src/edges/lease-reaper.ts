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
  /**
   * Reap nothing for this long after starting (the broker passes its lease). A broker that
   * just started on a shared Store cannot tell an edge that died from one whose leases
   * lapsed while no broker was running and that has not found the new one yet: reaping at
   * once would free the slots of sessions that still play (and tell their players they
   * ended). Edges reconnect within seconds; one lease is their time to do so.
   */
  startGraceMs?: number;
}

export function startLeaseReaper({
  store,
  intervalMs,
  logger,
  onExpired,
  onTick,
  startGraceMs = 0,
}: LeaseReaperOptions): LeaseReaper {
  let running: Promise<void> | undefined;
  const reapFrom = Date.now() + startGraceMs;
  const expire = async (now: number) => (now < reapFrom ? [] : store.expireLeases(now));
  const timer = setInterval(() => {
    if (running) return;
    running = expire(Date.now())
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
