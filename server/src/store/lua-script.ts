import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ErrorCode, makeError } from '@edgeplay/shared';

/** Scripts raise `error({ err = CORRUPT_MARKER .. key })` when a stored value fails their checks. */
export const CORRUPT_MARKER = 'EDGEPLAY_CORRUPT ';

/** Prepended to every script: the check that turns a malformed stored value into CORRUPT_MARKER. */
export const LUA_CORRUPT_CHECKS = `
local function corrupt(key) error({ err = '${CORRUPT_MARKER}' .. key }) end
-- Stored times and counts are whole numbers; tonumber alone would also accept 'nan' or 'inf'.
local function num(value, key)
  if type(value) ~= 'string' or not string.match(value, '^%d+$') then corrupt(key) end
  return tonumber(value)
end
`;

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server has not cached it
 * (first use, after SCRIPT FLUSH, a restart or a failover); EVAL caches it again. A
 * script runs alone on the server, which is what makes each store operation atomic.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs with no declared keys: the scripts derive theirs from ARGV[1], the key prefix. */
  async run(redis: Redis, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, 0, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw this.translate(error);
      try {
        return await redis.eval(this.source, 0, ...args);
      } catch (retryError) {
        throw this.translate(retryError);
      }
    }
  }

  private translate(error: unknown): unknown {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(CORRUPT_MARKER);
    if (at < 0) return error;
    const key = message.slice(at + CORRUPT_MARKER.length).split(' ')[0];
    return makeError(ErrorCode.INTERNAL, `corrupt store record at ${key}`, { key, script: this.name });
  }
}
