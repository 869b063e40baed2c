import { LuaScript } from '../store/lua-script.js';

/**
 * Where the Redis studio store keeps things, under `{prefix}studios:` (P below):
 *
 *   P studio:{studioId}          string  StudioRecord JSON
 *   P studio:{studioId}:keys     hash    keyId → SHA-256 of the key
 *   P key:{keyHash}              string  ApiKeyRecord JSON — exists exactly while the key is live
 *   P title:{titleId}            hash    studioId (owner, set once), record (StudioTitleRecord JSON)
 *   P studio:{studioId}:titles   set     the studio's title ids
 *   P titles                     set     every studio title id
 *   P cover:{coverId}            hash    bytes, contentType, studioId
 *   P play:{titleId}             hash    sessions, playMs, running (whole numbers)
 *   P session:{sessionId}        hash    titleId, startedAt — exists while a session of a studio title runs
 *
 * Ids are validated before they reach a key, so no id can forge a ':'. Scripts take the
 * prefix as ARGV[1] and build the same names.
 */
export const studioKeys = (prefix: string) => ({
  studio: (studioId: string) => `${prefix}studio:${studioId}`,
  studioKeys: (studioId: string) => `${prefix}studio:${studioId}:keys`,
  key: (keyHash: string) => `${prefix}key:${keyHash}`,
  title: (titleId: string) => `${prefix}title:${titleId}`,
  studioTitles: (studioId: string) => `${prefix}studio:${studioId}:titles`,
  titles: () => `${prefix}titles`,
  cover: (coverId: string) => `${prefix}cover:${coverId}`,
  play: (titleId: string) => `${prefix}play:${titleId}`,
});

/** A session whose end was never reported stops being remembered after this long. */
export const SESSION_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;

const LAYOUT = `
local prefix = ARGV[1]
local function studio_keys(id) return prefix .. 'studio:' .. id .. ':keys' end
local function key_key(hash) return prefix .. 'key:' .. hash end
local function title_key(id) return prefix .. 'title:' .. id end
local function studio_titles(id) return prefix .. 'studio:' .. id .. ':titles' end
local titles_key = prefix .. 'titles'
local function play_key(id) return prefix .. 'play:' .. id end
local function session_key(id) return prefix .. 'session:' .. id end
`;

/** ARGV: prefix, studioId, keyId, keyHash, ApiKeyRecord JSON */
export const ADD_API_KEY = new LuaScript(
  'add-api-key',
  `${LAYOUT}
redis.call('SET', key_key(ARGV[4]), ARGV[5])
redis.call('HSET', studio_keys(ARGV[2]), ARGV[3], ARGV[4])
return 1`,
);

/** ARGV: prefix, studioId, keyId → 1 when revoked */
export const REVOKE_API_KEY = new LuaScript(
  'revoke-api-key',
  `${LAYOUT}
local hash = redis.call('HGET', studio_keys(ARGV[2]), ARGV[3])
if not hash then return 0 end
redis.call('DEL', key_key(hash))
redis.call('HDEL', studio_keys(ARGV[2]), ARGV[3])
return 1`,
);

/** ARGV: prefix, titleId, studioId, record JSON → 1 when created, 0 when the id is taken */
export const CREATE_TITLE = new LuaScript(
  'create-title',
  `${LAYOUT}
if redis.call('HSETNX', title_key(ARGV[2]), 'studioId', ARGV[3]) == 0 then return 0 end
redis.call('HSET', title_key(ARGV[2]), 'record', ARGV[4])
redis.call('SADD', studio_titles(ARGV[3]), ARGV[2])
redis.call('SADD', titles_key, ARGV[2])
return 1`,
);

/** ARGV: prefix, titleId, studioId, record JSON → 1 when replaced, 0 when not the studio's */
export const UPDATE_TITLE = new LuaScript(
  'update-title',
  `${LAYOUT}
if redis.call('HGET', title_key(ARGV[2]), 'studioId') ~= ARGV[3] then return 0 end
redis.call('HSET', title_key(ARGV[2]), 'record', ARGV[4])
return 1`,
);

/** ARGV: prefix, titleId, studioId → 1 when deleted */
export const DELETE_TITLE = new LuaScript(
  'delete-title',
  `${LAYOUT}
if redis.call('HGET', title_key(ARGV[2]), 'studioId') ~= ARGV[3] then return 0 end
redis.call('DEL', title_key(ARGV[2]), play_key(ARGV[2]))
redis.call('SREM', studio_titles(ARGV[3]), ARGV[2])
redis.call('SREM', titles_key, ARGV[2])
return 1`,
);

/** ARGV: prefix, sessionId, titleId, at, memoryMs → 1 when recorded, 0 when already known */
export const PLAY_STARTED = new LuaScript(
  'play-started',
  `${LAYOUT}
local session = session_key(ARGV[2])
if redis.call('HSETNX', session, 'titleId', ARGV[3]) == 0 then return 0 end
redis.call('HSET', session, 'startedAt', ARGV[4])
redis.call('PEXPIRE', session, ARGV[5])
redis.call('HINCRBY', play_key(ARGV[3]), 'sessions', 1)
redis.call('HINCRBY', play_key(ARGV[3]), 'running', 1)
return 1`,
);

/** ARGV: prefix, sessionId, at → 1 when the session's time was added, 0 when unknown */
export const PLAY_ENDED = new LuaScript(
  'play-ended',
  `${LAYOUT}
local session = session_key(ARGV[2])
local found = redis.call('HMGET', session, 'titleId', 'startedAt')
local title_id, started_at = found[1], found[2]
if not title_id then return 0 end
redis.call('DEL', session)
local play = play_key(title_id)
-- A title deleted while the session ran has no totals to add to any more.
if redis.call('EXISTS', play) == 0 then return 1 end
local elapsed = tonumber(ARGV[3]) - (tonumber(started_at) or tonumber(ARGV[3]))
if elapsed > 0 then redis.call('HINCRBY', play, 'playMs', string.format('%d', elapsed)) end
if (tonumber(redis.call('HGET', play, 'running')) or 0) > 0 then redis.call('HINCRBY', play, 'running', -1) end
return 1`,
);
