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
 * For scripts that do one operation per group of `size` arguments after the prefix:
 * runs `operation` on each group and lists the results. An operation that finds a corrupt
 * record answers the corrupt marker (with the key) for its own group; the others go on.
 * Any other error fails the whole run.
 */
export const LUA_EACH_ITEM = `
local function each_item(size, operation)
  local results = {}
  for i = 2, #ARGV, size do
    local ok, result = pcall(operation, unpack(ARGV, i, i + size - 1))
    -- Redis hands pcall the message of an error table as a string (7.0); older ones the table.
    local message = result
    if type(result) == 'table' then message = result.err end
    if ok then
      results[#results + 1] = result
    elseif type(message) == 'string' and string.find(message, '${CORRUPT_MARKER}', 1, true) == 1 then
      results[#results + 1] = message
    else
      error(result)
    end
  end
  return results
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
