import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens a Redis connection and fails fast, saying why, when Redis cannot be reached:
 * ioredis's connect() only says "Connection is closed"; its error event says why. The
 * message names host:port only, because the URL may carry a password. After connecting,
 * errors go to `onError` (ioredis reconnects by itself).
 */
export async function connectRedis(
  url: string,
  options: { onError?: ((error: Error) => void) | undefined; redis?: RedisOptions } = {},
): Promise<Redis> {
  const redis = new Redis(url, { ...options.redis, lazyConnect: true });
  let cause: unknown;
  const remember = (error: Error): void => {
    cause = error;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const where = `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}`;
    throw new Error(`cannot reach Redis at ${where}: ${String(cause ?? error)}`, { cause: cause ?? error });
  }
  redis.off('error', remember);
  if (options.onError) redis.on('error', options.onError);
  return redis;
}
