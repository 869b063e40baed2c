import { LUA_CORRUPT_CHECKS, LuaScript } from './lua-script.js';
import { LUA_KEY_LAYOUT } from './redis-key-layout.js';
import { LUA_RESERVE_SLOT, LUA_SLOT_HELPERS } from './slot-scripts.js';

/*
 * Finding candidates, and placing on the best of them, in Redis. A candidate row is
 * { edgeId, signalingUrl, region, maxSessions, freeSlots, distanceKm (GEOSEARCH's text),
 * gpuRank, reputation (its stored text) }: only what placement needs, not the whole
 * record (parsing five records per query was a tenth of the broker's time, bench).
 */

/** An edge's reputation: the stored one (checked to be a number in 0..1) or 1. */
const LUA_REPUTATION = `
-- Returns the number and its stored text (a script reply would truncate a Lua number to an integer).
local function reputation_of(edge_id)
  local text = redis.call('HGET', reputations_key, edge_id) or '1'
  local value = tonumber(text)
  if not value or value ~= value or value < 0 or value > 1 then corrupt(reputations_key) end
  return value, text
end
`;

const LUA_FIND_CANDIDATES = `
-- Live edges with the title (and a free slot, unless include_full) at or above min_rank and
-- min_reputation, in region unless it is '', nearest first, at most limit. The geo set holds
-- edges whatever their state, so the walk skips those that do not qualify.
local function find_candidates(title_id, lon, lat, now_arg, limit, max_radius, min_rank, min_reputation, region, include_full)
  local now = tonumber(now_arg)
  local found, seen = {}, {}
  -- Search outwards in growing rings: a whole-earth GEOSEARCH sorts and returns every edge
  -- with the title (~1.3 ms of server time at 10,000 edges), where a near ring holds
  -- enough. Edges of an inner ring are skipped in the next, so the result stays nearest-first.
  local radius = 250
  while true do
    if radius > max_radius then radius = max_radius end
    local hits = redis.call('GEOSEARCH', geo_key(title_id), 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'km', 'ASC', 'WITHDIST')
    for _, hit in ipairs(hits) do
      local edge_id, distance = hit[1], hit[2]
      if not seen[edge_id] then
        seen[edge_id] = true
        local key = edge_key(edge_id)
        local edge = redis.call('HMGET', key, 'leaseExpiresAt', 'maxSessions', 'signalingUrl', 'gpuRank', 'region')
        if edge[1] and num(edge[1], key) > now and (region == '' or edge[5] == region) then
          local rank = num(edge[4], key)
          local reputation, reputation_text = reputation_of(edge_id)
          if rank >= min_rank and reputation >= min_reputation then
            local max_sessions = num(edge[2], key)
            local free = max_sessions - redis.call('ZCOUNT', slots_key(edge_id), '(' .. now_arg, '+inf')
            if free < 0 then free = 0 end
            if free > 0 or include_full then
              if not edge[3] or not edge[5] then corrupt(key) end
              found[#found + 1] = { edge_id, edge[3], edge[5], max_sessions, free, distance, rank, reputation_text }
              if #found >= limit then return found end
            end
          end
        end
      end
    end
    if radius >= max_radius then return found end
    radius = radius * 4
  end
end
`;

/*
 * The ranking of server/src/players/candidate-score.ts, step for step; the Store contract
 * suite runs the same placements on this and on the memory store (which uses that
 * module). Lua's sort is not stable, so the nearest-first position is the last key, as
 * the stable sort of the TypeScript keeps it.
 */
const LUA_RANK_CANDIDATES = `
-- measured: edgeId -> RTT ms, or false when the page could not reach the edge; nil: no probes.
local function rank_candidates(found, measured, min_rank, band_ms, km_per_ms)
  local ranked = {}
  for index, row in ipairs(found) do
    local probed = nil
    if measured then probed = measured[row[1]] end
    if probed ~= false then
      local rtt = probed or tonumber(row[6]) / km_per_ms
      ranked[#ranked + 1] = {
        row = row, index = index, rtt = rtt, band = math.floor(rtt / band_ms),
        load = 1 - row[5] / row[4], fit = row[7] - min_rank, reputation = tonumber(row[8]),
      }
    end
  end
  table.sort(ranked, function(a, b)
    if a.band ~= b.band then return a.band < b.band end
    if a.load ~= b.load then return a.load < b.load end
    if a.fit ~= b.fit then return a.fit < b.fit end
    if a.rtt ~= b.rtt then return a.rtt < b.rtt end
    if a.reputation ~= b.reputation then return a.reputation > b.reputation end
    return a.index < b.index
  end)
  return ranked
end
`;

const script = (name: string, body: string): LuaScript =>
  new LuaScript(
    name,
    LUA_KEY_LAYOUT +
      LUA_CORRUPT_CHECKS +
      LUA_REPUTATION +
      LUA_FIND_CANDIDATES +
      LUA_RANK_CANDIDATES +
      LUA_SLOT_HELPERS +
      LUA_RESERVE_SLOT +
      body,
  );

/**
 * ARGV: prefix, titleId, lon, lat, now, limit, radiusKm, minGpuRank, minReputation,
 * region ('' for any), includeFull ('1' or '0') → candidate rows, nearest first.
 */
export const FIND_CANDIDATES = script(
  'find-candidates',
  `return find_candidates(ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]),
  tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11] == '1')`,
);

/**
 * ARGV: prefix, titleId, lon, lat, now, limit, radiusKm, minGpuRank, minReputation,
 * region ('' for any), sessionId, expiresAt, rttBandMs, kmPerRttMs, then per probe:
 * edgeId, rttMs ('' when unreachable)
 * → the candidate row the slot was reserved on, or { 'no-capacity' } / { 'unreachable' }.
 * Finding, ranking and reserving run as one script: no broker takes the slot in between.
 */
export const RESERVE_BEST = script(
  'reserve-best',
  `
local title_id, now_arg, min_rank = ARGV[2], ARGV[5], tonumber(ARGV[8])
local found = find_candidates(title_id, ARGV[3], ARGV[4], now_arg, tonumber(ARGV[6]), tonumber(ARGV[7]),
  min_rank, tonumber(ARGV[9]), ARGV[10], false)
if #found == 0 then return { 'no-capacity' } end
local measured = nil
if #ARGV > 14 then
  measured = {}
  for i = 15, #ARGV, 2 do
    if ARGV[i + 1] == '' then measured[ARGV[i]] = false else measured[ARGV[i]] = tonumber(ARGV[i + 1]) end
  end
end
local ranked = rank_candidates(found, measured, min_rank, tonumber(ARGV[13]), tonumber(ARGV[14]))
if #ranked == 0 then return { 'unreachable' } end
local best = ranked[1].row
if reserve_slot(best[1], ARGV[11], title_id, now_arg, ARGV[12]) == 1 then return best end
return { 'no-capacity' }
`,
);
