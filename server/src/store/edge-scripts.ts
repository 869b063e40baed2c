import { LUA_CORRUPT_CHECKS, LUA_EACH_ITEM, LuaScript } from './lua-script.js';
import { LUA_KEY_LAYOUT } from './redis-key-layout.js';

/**
 * Edge records, their geo entries and leases in Redis. An edge's hash, title set, geo
 * entries, lease entry and slots change together inside one script, so another broker
 * never sees an edge half registered or half removed. Lease decisions compare with the
 * caller's clock (ARGV), like the memory store, rather than Redis key TTLs.
 */
const LUA_DROP_EDGE = `
-- Deletes the edge with all it owns; returns the sessions that still held a slot.
local function drop_edge(edge_id, now_arg)
  local slots = slots_key(edge_id)
  local live = redis.call('ZRANGEBYSCORE', slots, '(' .. now_arg, '+inf')
  for _, session_id in ipairs(redis.call('ZRANGE', slots, 0, -1)) do redis.call('DEL', session_key(session_id)) end
  for _, title_id in ipairs(redis.call('SMEMBERS', titles_key(edge_id))) do
    redis.call('ZREM', geo_key(title_id), edge_id)
  end
  redis.call('DEL', edge_key(edge_id), titles_key(edge_id), slots)
  redis.call('ZREM', leases_key, edge_id)
  return live
end
`;

const script = (name: string, body: string): LuaScript =>
  new LuaScript(name, LUA_KEY_LAYOUT + LUA_CORRUPT_CHECKS + LUA_DROP_EDGE + body);

/** ARGV: prefix, edgeId, record JSON, maxSessions, leaseExpiresAt, lon, lat, gpuRank, region, signalingUrl, titleId… */
export const UPSERT_EDGE = script(
  'upsert-edge',
  `
local edge_id, lease_expires_at = ARGV[2], ARGV[5]
local offered = {}
for i = 11, #ARGV do offered[ARGV[i]] = true end
for _, title_id in ipairs(redis.call('SMEMBERS', titles_key(edge_id))) do
  if not offered[title_id] then redis.call('ZREM', geo_key(title_id), edge_id) end
end
redis.call('DEL', titles_key(edge_id))
for i = 11, #ARGV do
  redis.call('SADD', titles_key(edge_id), ARGV[i])
  redis.call('GEOADD', geo_key(ARGV[i]), ARGV[6], ARGV[7], edge_id)
end
redis.call('HSET', edge_key(edge_id), 'record', ARGV[3], 'maxSessions', ARGV[4], 'leaseExpiresAt', lease_expires_at,
  'gpuRank', ARGV[8], 'region', ARGV[9], 'signalingUrl', ARGV[10])
redis.call('ZADD', leases_key, lease_expires_at, edge_id)
return 1
`,
);

/**
 * ARGV: prefix, then for each edge: edgeId, now, leaseExpiresAt → for each edge 1 renewed,
 * 0 unknown or lapsed, or the corrupt marker. Heartbeats that arrive in one turn of the
 * event loop are renewed by one run (see ScriptBatch); each edge is checked before it is
 * written, and a corrupt record fails its own renewal only.
 */
export const RENEW_LEASES = script(
  'renew-leases',
  LUA_EACH_ITEM +
    `
local function renew(edge_id, now_arg, lease_expires_at)
  local key = edge_key(edge_id)
  local lease = redis.call('HGET', key, 'leaseExpiresAt')
  if not lease or num(lease, key) <= tonumber(now_arg) then return 0 end
  redis.call('HSET', key, 'leaseExpiresAt', lease_expires_at)
  redis.call('ZADD', leases_key, lease_expires_at, edge_id)
  return 1
end
return each_item(3, renew)
`,
);

/** ARGV: prefix, edgeId, now → the freed session ids. */
export const REMOVE_EDGE = script('remove-edge', `return drop_edge(ARGV[2], ARGV[3])`);

/**
 * ARGV: prefix, now, batch → { {edgeId, {sessionId…}}… } for at most `batch` lapsed edges.
 * Brokers racing here are serialised by Redis: the first takes an edge out of the leases
 * zset, the next no longer finds it, so every edge and session is reported once.
 */
export const EXPIRE_LEASES = script(
  'expire-leases',
  `
local now_arg = ARGV[2]
local expired = {}
for _, edge_id in ipairs(redis.call('ZRANGEBYSCORE', leases_key, '-inf', now_arg, 'LIMIT', 0, tonumber(ARGV[3]))) do
  expired[#expired + 1] = { edge_id, drop_edge(edge_id, now_arg) }
end
return expired
`,
);
