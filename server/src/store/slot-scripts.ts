import { LUA_CORRUPT_CHECKS, LUA_EACH_ITEM, LuaScript } from './lua-script.js';
import { LUA_KEY_LAYOUT } from './redis-key-layout.js';

/**
 * Slot bookkeeping in Redis. A slot is a member of the edge's slots zset, scored with the
 * pending reservation's expiry or +inf once confirmed; "live" means score > now, where
 * now is the caller's clock (ARGV), so Redis expires exactly when the memory store does.
 * Each script runs alone on the server: check and take cannot interleave with another
 * broker's, so a slot is never handed out twice nor freed twice.
 */
export const LUA_SLOT_HELPERS = `
-- The edge a session holds a slot on, or nil. A lapsed pending reservation is forgotten
-- here, so whoever finds it lapsed frees it silently and nobody reports it.
local function live_session(session_id, now)
  local key = session_key(session_id)
  local edge_id = redis.call('HGET', key, 'edgeId')
  if not edge_id then return nil end
  local score = redis.call('ZSCORE', slots_key(edge_id), session_id)
  if score == 'inf' or (score and tonumber(score) > now) then return edge_id end
  if score then redis.call('ZREM', slots_key(edge_id), session_id) end
  redis.call('DEL', key)
  return nil
end

local function sweep_lapsed(edge_id, now_arg)
  local slots = slots_key(edge_id)
  local lapsed = redis.call('ZRANGEBYSCORE', slots, '-inf', now_arg)
  for _, session_id in ipairs(lapsed) do redis.call('DEL', session_key(session_id)) end
  if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', slots, '-inf', now_arg) end
end
`;

/** Takes one slot as a pending reservation; 1 taken, 0 refused (see Store.reserveSlot). */
export const LUA_RESERVE_SLOT = `
local function reserve_slot(edge_id, session_id, title_id, now_arg, expires_at)
  local now = tonumber(now_arg)
  local key = edge_key(edge_id)
  local edge = redis.call('HMGET', key, 'leaseExpiresAt', 'maxSessions')
  if not edge[1] then return 0 end
  -- Validate everything read before the first write: an error does not roll back writes.
  local lease_expires_at, max_sessions = num(edge[1], key), num(edge[2], key)
  if lease_expires_at <= now then return 0 end
  if redis.call('SISMEMBER', titles_key(edge_id), title_id) == 0 then return 0 end
  if live_session(session_id, now) then return 0 end
  sweep_lapsed(edge_id, now_arg)
  local slots = slots_key(edge_id)
  if redis.call('ZCARD', slots) >= max_sessions then return 0 end
  redis.call('ZADD', slots, expires_at, session_id)
  redis.call('HSET', session_key(session_id), 'edgeId', edge_id, 'titleId', title_id)
  return 1
end
`;

const script = (name: string, body: string): LuaScript =>
  new LuaScript(name, LUA_KEY_LAYOUT + LUA_CORRUPT_CHECKS + LUA_SLOT_HELPERS + LUA_RESERVE_SLOT + body);

/** ARGV: prefix, edgeId, sessionId, titleId, now, expiresAt → 1 taken, 0 refused. */
export const RESERVE_SLOT = script('reserve-slot', `return reserve_slot(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])`);

/** ARGV: prefix, sessionId, now → 1 running, 0 unknown or lapsed. */
export const CONFIRM_SLOT = script(
  'confirm-slot',
  `
local edge_id = live_session(ARGV[2], tonumber(ARGV[3]))
if not edge_id then return 0 end
redis.call('ZADD', slots_key(edge_id), 'XX', '+inf', ARGV[2])
return 1
`,
);

/**
 * ARGV: prefix, then for each session: sessionId, now → for each 1 freed by this call, 0
 * already free, or the corrupt marker. Releases that arrive in one turn of the event loop
 * go in one run (see ScriptBatch); each is as atomic as ever, and a session listed twice
 * is freed once.
 */
export const RELEASE_SLOTS = script(
  'release-slots',
  LUA_EACH_ITEM +
    `
local function release(session_id, now_arg)
  local edge_id = live_session(session_id, tonumber(now_arg))
  if not edge_id then return 0 end
  redis.call('ZREM', slots_key(edge_id), session_id)
  redis.call('DEL', session_key(session_id))
  return 1
end
return each_item(2, release)
`,
);
