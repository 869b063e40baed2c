import { LUA_CORRUPT_CHECKS, LuaScript } from './lua-script.js';
import { LUA_KEY_LAYOUT } from './redis-key-layout.js';

/*
 * Waiting queues in Redis, one per title and region. A queue is a zset of entryIds scored with an arrival
 * number (one more than the last entry's), so ZRANK + 1 is the position and ZREM leaves
 * no gap to repair; the entries themselves sit in a hash beside it. Each script runs
 * alone on the server, so the zset and the hash change together, an entry is appended
 * once however often it is enqueued, and it is removed — taken or left — exactly once.
 */

const script = (name: string, body: string): LuaScript =>
  new LuaScript(name, LUA_KEY_LAYOUT + LUA_CORRUPT_CHECKS + body);

/** ARGV: prefix, titleId, region, entryId, entry JSON → the entry's 1-based position. */
export const ENQUEUE = script(
  'enqueue',
  `
local title_id, region, entry_id, entry = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local queue = queue_key(title_id, region)
local rank = redis.call('ZRANK', queue, entry_id)
if rank then return rank + 1 end
local last = redis.call('ZRANGE', queue, -1, -1, 'WITHSCORES')
local arrival = 1
if last[2] then arrival = num(last[2], queue) + 1 end
redis.call('ZADD', queue, arrival, entry_id)
redis.call('HSET', queue_entries_key(title_id, region), entry_id, entry)
return redis.call('ZCARD', queue)
`,
);

/** ARGV: prefix, titleId, region, count → the JSON of the first count entries, oldest first. */
export const QUEUE_HEAD = script(
  'queue-head',
  `
local title_id, region, count = ARGV[2], ARGV[3], tonumber(ARGV[4])
local ids = redis.call('ZRANGE', queue_key(title_id, region), 0, count - 1)
if #ids == 0 then return {} end
local entries_key = queue_entries_key(title_id, region)
local entries = redis.call('HMGET', entries_key, unpack(ids))
for i = 1, #ids do
  if not entries[i] then corrupt(entries_key) end
end
return entries
`,
);

/** ARGV: prefix, titleId, region, entryId → 1 removed by this call, 0 not queued (any more). */
export const REMOVE_QUEUE_ENTRY = script(
  'remove-queue-entry',
  `
local title_id, region, entry_id = ARGV[2], ARGV[3], ARGV[4]
if redis.call('ZREM', queue_key(title_id, region), entry_id) == 0 then return 0 end
redis.call('HDEL', queue_entries_key(title_id, region), entry_id)
return 1
`,
);
