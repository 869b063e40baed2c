import { connectRedis } from '../store/redis-connect.js';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  ErrorCode,
  makeError,
  parseOrThrow,
  StudioTitleManifestSchema,
  type StudioTitleManifest,
} from '@edgeplay/shared';
import type { LuaScript } from '../store/lua-script.js';
import {
  ADD_API_KEY,
  CREATE_TITLE,
  DELETE_TITLE,
  PLAY_ENDED,
  PLAY_STARTED,
  REVOKE_API_KEY,
  SESSION_MEMORY_MS,
  studioKeys,
  UPDATE_TITLE,
} from './studio-scripts.js';
import {
  ApiKeyIdSchema,
  ApiKeyRecordSchema,
  CoverIdSchema,
  CoverImageSchema,
  KeyHashSchema,
  SessionIdSchema,
  StudioIdSchema,
  StudioRecordSchema,
  StudioTitleRecordSchema,
  TimeSchema,
  TitleIdSchema,
} from './studio-store-schemas.js';
import type {
  ApiKeyRecord,
  CoverImage,
  PlayTotals,
  StudioRecord,
  StudioStore,
  StudioTitleRecord,
} from './studio-store.js';

const KeyPrefixSchema = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9:{}._-]*$/, 'letters, digits and : { } . _ -');

const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});
const FlagSchema = z.union([z.literal(0), z.literal(1)]).transform((flag) => flag === 1);
const WholeNumberSchema = z
  .string()
  .regex(/^\d+$/)
  .transform((text) => Number(text));

export interface RedisStudioStoreOptions {
  url: string;
  /** The deployment's prefix (REDIS_KEY_PREFIX); studio keys live under `<prefix>studios:`. */
  keyPrefix?: string;
  onError?: (error: Error) => void;
}

/** Studios shared by every broker on one Redis. Reads are parsed: a corrupt record throws INTERNAL. */
export class RedisStudioStore implements StudioStore {
  private readonly keys: ReturnType<typeof studioKeys>;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = studioKeys(prefix);
  }

  static async connect(options: RedisStudioStoreOptions): Promise<RedisStudioStore> {
    const base = parseOrThrow(KeyPrefixSchema, options.keyPrefix ?? 'edgeplay:', 'keyPrefix');
    const redis = await connectRedis(options.url, { onError: options.onError });
    return new RedisStudioStore(redis, `${base}studios:`);
  }

  async createStudio(studio: StudioRecord): Promise<void> {
    const record = parseOrThrow(StudioRecordSchema, studio, 'studio');
    await this.redis.set(this.keys.studio(record.studioId), JSON.stringify(record));
  }

  async getStudio(studioId: string): Promise<StudioRecord | undefined> {
    const key = this.keys.studio(parseOrThrow(StudioIdSchema, studioId, 'studioId'));
    const stored = await this.redis.get(key);
    return stored === null ? undefined : parseStored(json.pipe(StudioRecordSchema), stored, key);
  }

  async addApiKey(key: ApiKeyRecord, keyHash: string): Promise<void> {
    const record = parseOrThrow(ApiKeyRecordSchema, key, 'api key');
    const hash = parseOrThrow(KeyHashSchema, keyHash, 'keyHash');
    await this.run(ADD_API_KEY, [record.studioId, record.keyId, hash, JSON.stringify(record)]);
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const key = this.keys.key(parseOrThrow(KeyHashSchema, keyHash, 'keyHash'));
    const stored = await this.redis.get(key);
    return stored === null ? undefined : parseStored(json.pipe(ApiKeyRecordSchema), stored, key);
  }

  async listApiKeys(studioId: string): Promise<ApiKeyRecord[]> {
    const hashes = await this.redis.hvals(this.keys.studioKeys(parseOrThrow(StudioIdSchema, studioId, 'studioId')));
    if (hashes.length === 0) return [];
    const keyNames = hashes.map((hash) => this.keys.key(parseStored(KeyHashSchema, hash, 'key hash')));
    const records = await this.redis.mget(...keyNames);
    return records
      .flatMap((stored, i) =>
        stored === null ? [] : [parseStored(json.pipe(ApiKeyRecordSchema), stored, keyNames[i])],
      )
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  async revokeApiKey(studioId: string, keyId: string): Promise<boolean> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    parseOrThrow(ApiKeyIdSchema, keyId, 'keyId');
    return parseStored(FlagSchema, await this.run(REVOKE_API_KEY, [studioId, keyId]), 'revoke-api-key reply');
  }

  async createTitle(record: StudioTitleRecord): Promise<boolean> {
    const parsed = parseOrThrow(StudioTitleRecordSchema, record, 'studio title');
    const reply = await this.run(CREATE_TITLE, [parsed.manifest.id, parsed.studioId, JSON.stringify(parsed)]);
    return parseStored(FlagSchema, reply, 'create-title reply');
  }

  async updateTitle(
    studioId: string,
    manifest: StudioTitleManifest,
    updatedAt: number,
  ): Promise<StudioTitleRecord | undefined> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    const parsed = parseOrThrow(StudioTitleManifestSchema, manifest, 'studio title manifest');
    parseOrThrow(TimeSchema, updatedAt, 'updatedAt');
    // createdAt never changes, so reading it first cannot race with anything that matters;
    // the script checks ownership and writes atomically.
    const known = await this.getTitle(parsed.id);
    if (!known || known.studioId !== studioId) return undefined;
    const updated: StudioTitleRecord = { ...known, manifest: parsed, updatedAt };
    const reply = await this.run(UPDATE_TITLE, [parsed.id, studioId, JSON.stringify(updated)]);
    return parseStored(FlagSchema, reply, 'update-title reply') ? updated : undefined;
  }

  async getTitle(titleId: string): Promise<StudioTitleRecord | undefined> {
    const key = this.keys.title(parseOrThrow(TitleIdSchema, titleId, 'titleId'));
    const stored = await this.redis.hget(key, 'record');
    return stored === null ? undefined : parseStored(json.pipe(StudioTitleRecordSchema), stored, key);
  }

  async listTitles(studioId?: string): Promise<StudioTitleRecord[]> {
    const set =
      studioId === undefined
        ? this.keys.titles()
        : this.keys.studioTitles(parseOrThrow(StudioIdSchema, studioId, 'studioId'));
    const ids = (await this.redis.smembers(set)).sort();
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.title(parseStored(TitleIdSchema, id, set)), 'record');
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error, stored], i) => {
      if (error) throw error;
      // Deleted between SMEMBERS and HGET: not listed.
      if (stored === null) return [];
      return [parseStored(json.pipe(StudioTitleRecordSchema), stored, this.keys.title(ids[i] ?? ''))];
    });
  }

  async deleteTitle(studioId: string, titleId: string): Promise<boolean> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    parseOrThrow(TitleIdSchema, titleId, 'titleId');
    return parseStored(FlagSchema, await this.run(DELETE_TITLE, [titleId, studioId]), 'delete-title reply');
  }

  async putCover(cover: CoverImage): Promise<void> {
    const parsed = parseOrThrow(CoverImageSchema, cover, 'cover');
    const key = this.keys.cover(parsed.coverId);
    // Content-addressed: the same id always carries the same bytes, so writing twice is harmless.
    await this.redis
      .multi()
      .hsetnx(key, 'studioId', parsed.studioId)
      .hset(key, 'bytes', parsed.bytes, 'contentType', parsed.contentType)
      .exec();
  }

  async getCover(coverId: string): Promise<CoverImage | undefined> {
    const id = parseOrThrow(CoverIdSchema, coverId, 'coverId');
    const key = this.keys.cover(id);
    const [bytes, contentType, studioId] = await this.redis.hmgetBuffer(key, 'bytes', 'contentType', 'studioId');
    if (!bytes) return undefined;
    return parseStored(
      CoverImageSchema,
      { coverId: id, bytes, contentType: contentType?.toString(), studioId: studioId?.toString() },
      key,
    );
  }

  async playStarted(sessionId: string, titleId: string, at: number): Promise<boolean> {
    parseOrThrow(SessionIdSchema, sessionId, 'sessionId');
    parseOrThrow(TitleIdSchema, titleId, 'titleId');
    parseOrThrow(TimeSchema, at, 'at');
    const reply = await this.run(PLAY_STARTED, [sessionId, titleId, at, SESSION_MEMORY_MS]);
    return parseStored(FlagSchema, reply, 'play-started reply');
  }

  async playEnded(sessionId: string, at: number): Promise<boolean> {
    parseOrThrow(SessionIdSchema, sessionId, 'sessionId');
    parseOrThrow(TimeSchema, at, 'at');
    return parseStored(FlagSchema, await this.run(PLAY_ENDED, [sessionId, at]), 'play-ended reply');
  }

  async playTotals(titleId: string): Promise<PlayTotals> {
    const key = this.keys.play(parseOrThrow(TitleIdSchema, titleId, 'titleId'));
    const [sessions, playMs, running] = await this.redis.hmget(key, 'sessions', 'playMs', 'running');
    const count = (value: string | null | undefined): number =>
      value == null ? 0 : parseStored(WholeNumberSchema, value, key);
    return { sessions: count(sessions), playMs: count(playMs), running: count(running) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit();
  }

  private run(script: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    return script.run(this.redis, [this.prefix, ...args]);
  }
}

/** A stored value that fails its schema is a corrupt record, not the caller's fault. */
function parseStored<S extends z.ZodType>(schema: S, value: unknown, where: string | undefined): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw makeError(ErrorCode.INTERNAL, `corrupt studio record at ${where ?? '?'}`, { key: where });
}
