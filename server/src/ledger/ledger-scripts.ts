import { LUA_CORRUPT_CHECKS, LuaScript } from '../store/lua-script.js';

/*
 * The ledger's read-then-write operations, one Lua script each, so they are atomic across
 * every broker sharing the Redis. ARGV[1] is the key prefix; keys (after the prefix):
 *
 *   ledger:edge:<edgeId>                 the edge's latest declaration (JSON)
 *   ledger:edge:<edgeId>:keys            hash sessionKey → { sessionKey, operator, expiresAt }
 *   ledger:session:<sessionId>           the session's parties (JSON)
 *   ledger:session:<sessionId>:intervals hash "<seq>:player" | "<seq>:edge" → signed receipt,
 *                                        "<seq>:verdict" → verdict (JSON)
 *   ledger:session:<sessionId>:last      hash player | edge → "<seq>:<to>" of the side's last receipt
 *   ledger:epoch                         the open epoch (absent: 1)
 *   ledger:epoch:<n>:credits             hash "ms|w|n|x:<operator>:<gpuClass>" → verified ms,
 *                                        Σ ms × quality bps, intervals, mismatches
 *   ledger:epoch:<n>:close               the closed epoch (JSON)
 */

/** ARGV: prefix, edgeId, declaration JSON, sessionKey, key JSON, pruneBefore. */
export const GRANT_EDGE_KEY = new LuaScript(
  'grantEdgeKey',
  `${LUA_CORRUPT_CHECKS}
local base = ARGV[1] .. 'ledger:edge:' .. ARGV[2]
redis.call('SET', base, ARGV[3])
local keys = base .. ':keys'
redis.call('HSET', keys, ARGV[4], ARGV[5])
local pruneBefore = tonumber(ARGV[6])
local all = redis.call('HGETALL', keys)
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if not ok or type(entry) ~= 'table' or type(entry.expiresAt) ~= 'number' then corrupt(keys) end
  if entry.expiresAt < pruneBefore then redis.call('HDEL', keys, all[i]) end
end
return 1
`,
);

/**
 * ARGV: prefix, sessionId, seq, side, other side, signed receipt JSON, signature, from, to.
 * → {'accepted' | 'duplicate', other side's receipt or '', verdict or ''} | {'conflict'} |
 *   {'out-of-order', lastSeq, lastTo} | {'no-session'}
 */
export const ACCEPT_RECEIPT = new LuaScript(
  'acceptReceipt',
  `${LUA_CORRUPT_CHECKS}
local base = ARGV[1] .. 'ledger:session:' .. ARGV[2]
if redis.call('EXISTS', base) == 0 then return {'no-session'} end
local intervals = base .. ':intervals'
local seq, side = ARGV[3], ARGV[4]
local existing = redis.call('HGET', intervals, seq .. ':' .. side)
local status
if existing then
  local ok, stored = pcall(cjson.decode, existing)
  if not ok or type(stored) ~= 'table' then corrupt(intervals) end
  if stored.signature ~= ARGV[7] then return {'conflict'} end
  status = 'duplicate'
else
  local lastKey = base .. ':last'
  local last = redis.call('HGET', lastKey, side)
  if last then
    local lastSeq, lastTo = string.match(last, '^(%d+):(%d+)$')
    if not lastSeq then corrupt(lastKey) end
    if tonumber(seq) <= tonumber(lastSeq) or tonumber(ARGV[8]) < tonumber(lastTo) then
      return {'out-of-order', lastSeq, lastTo}
    end
  end
  redis.call('HSET', intervals, seq .. ':' .. side, ARGV[6])
  redis.call('HSET', lastKey, side, seq .. ':' .. ARGV[9])
  status = 'accepted'
end
return {
  status,
  redis.call('HGET', intervals, seq .. ':' .. ARGV[5]) or '',
  redis.call('HGET', intervals, seq .. ':verdict') or '',
}
`,
);

/**
 * ARGV: prefix, sessionId, seq, verdict JSON (without epoch), status, operator, gpuClass,
 * creditedMs, weighted (creditedMs × qualityBps). The first verdict of a slot stays; it is
 * credited to the epoch open now. → {'ok', stored verdict JSON} | {'no-session'}
 */
export const RECORD_VERDICT = new LuaScript(
  'recordVerdict',
  `${LUA_CORRUPT_CHECKS}
local base = ARGV[1] .. 'ledger:session:' .. ARGV[2]
if redis.call('EXISTS', base) == 0 then return {'no-session'} end
local intervals = base .. ':intervals'
local field = ARGV[3] .. ':verdict'
local existing = redis.call('HGET', intervals, field)
if existing then return {'ok', existing} end
local epochKey = ARGV[1] .. 'ledger:epoch'
local epoch = redis.call('GET', epochKey)
if epoch then epoch = num(epoch, epochKey) else epoch = 1 end
local stored = '{"epoch":' .. string.format('%d', epoch) .. ',' .. string.sub(ARGV[4], 2)
redis.call('HSET', intervals, field, stored)
local credits = ARGV[1] .. 'ledger:epoch:' .. string.format('%d', epoch) .. ':credits'
local who = ARGV[6] .. ':' .. ARGV[7]
if ARGV[5] == 'verified' then
  redis.call('HINCRBY', credits, 'ms:' .. who, ARGV[8])
  redis.call('HINCRBY', credits, 'w:' .. who, ARGV[9])
  redis.call('HINCRBY', credits, 'n:' .. who, 1)
else
  redis.call('HINCRBY', credits, 'x:' .. who, 1)
end
return {'ok', stored}
`,
);

/**
 * ARGV: prefix, epoch. Freezes the open epoch (verdicts go to the next one from now on).
 * → {'frozen', credits hash as a flat list} | {'future', current}
 */
export const FREEZE_EPOCH = new LuaScript(
  'freezeEpoch',
  `${LUA_CORRUPT_CHECKS}
local epochKey = ARGV[1] .. 'ledger:epoch'
local current = redis.call('GET', epochKey)
if current then current = num(current, epochKey) else current = 1 end
local epoch = tonumber(ARGV[2])
if epoch > current then return {'future', string.format('%d', current)} end
if epoch == current then redis.call('SET', epochKey, string.format('%d', current + 1)) end
return {'frozen', redis.call('HGETALL', ARGV[1] .. 'ledger:epoch:' .. ARGV[2] .. ':credits')}
`,
);
