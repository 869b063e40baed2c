/**
 * Where the Redis store keeps things. The Lua scripts build the same names from the same
 * prefix (LUA_KEY_LAYOUT below), so the layout is written down here, once per language,
 * side by side:
 *
 *   {prefix}edge:{edgeId}          hash   record (EdgeRecord JSON), maxSessions, leaseExpiresAt (ms),
 *                                         and, for candidate searches, gpuRank (gpuTierRank(gpuTierOf(gpuClass))),
 *                                         region, signalingUrl
 *   {prefix}edge:{edgeId}:titles   set    title ids, to find the geo sets to leave on removal
 *   {prefix}edge:{edgeId}:slots    zset   sessionId → pending expiry (ms), or +inf once running
 *   {prefix}session:{sessionId}    hash   edgeId, titleId — exists exactly while the session is in a slots zset
 *   {prefix}title:{titleId}:geo    geo    edgeIds offering the title, at their coordinates
 *   {prefix}leases                 zset   edgeId → leaseExpiresAt (ms), to find lapsed leases
 *   {prefix}reputations            hash   edgeId → reputation (0..1, as JS writes the number); outlives the edge
 *   {prefix}title:{titleId}:region:{region}:queue          zset  entryId → arrival number (FIFO; rank + 1 = position)
 *   {prefix}title:{titleId}:region:{region}:queue:entries  hash  entryId → QueueEntry JSON — same members as the zset
 *
 * Ids are validated to [A-Za-z0-9._-] before they reach a key, so no id can forge a ':'.
 */
export interface RedisKeyLayout {
  reputations: string;
  edge(edgeId: string): string;
  slots(edgeId: string): string;
  queue(titleId: string, region: string): string;
  queueEntries(titleId: string, region: string): string;
}

export function redisKeyLayout(prefix: string): RedisKeyLayout {
  return {
    reputations: `${prefix}reputations`,
    edge: (edgeId) => `${prefix}edge:${edgeId}`,
    slots: (edgeId) => `${prefix}edge:${edgeId}:slots`,
    queue: (titleId, region) => `${prefix}title:${titleId}:region:${region}:queue`,
    queueEntries: (titleId, region) => `${prefix}title:${titleId}:region:${region}:queue:entries`,
  };
}

/** Prepended to every script; ARGV[1] is always the key prefix. */
export const LUA_KEY_LAYOUT = `
local prefix = ARGV[1]
local leases_key = prefix .. 'leases'
local reputations_key = prefix .. 'reputations'
local function edge_key(edge_id) return prefix .. 'edge:' .. edge_id end
local function titles_key(edge_id) return prefix .. 'edge:' .. edge_id .. ':titles' end
local function slots_key(edge_id) return prefix .. 'edge:' .. edge_id .. ':slots' end
local function session_key(session_id) return prefix .. 'session:' .. session_id end
local function geo_key(title_id) return prefix .. 'title:' .. title_id .. ':geo' end
local function queue_key(title_id, region) return prefix .. 'title:' .. title_id .. ':region:' .. region .. ':queue' end
local function queue_entries_key(title_id, region)
  return prefix .. 'title:' .. title_id .. ':region:' .. region .. ':queue:entries'
end
`;
