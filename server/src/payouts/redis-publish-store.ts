import { connectRedis } from '../store/redis-connect.js';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { EpochTreeDump } from '@edgeplay/chain';
import { BaseUnitsSchema, ErrorCode, makeError, parseOrThrow } from '@edgeplay/shared';
import { LuaScript } from '../store/lua-script.js';
import { EpochNumberSchema, newPublishRecord, StoredPublishRecordSchema } from './publish-record-schema.js';
import type { EpochInput, PublishPatch, PublishRecord, PublishStore } from './publish-store.js';

/*
 * Publishes in Redis, shared by every broker process (run Redis with AOF so they survive it):
 *
 *   {prefix}payouts:epoch:{n}        hash    record (PublishRecord JSON), revision
 *   {prefix}payouts:epochs           zset    n → n, every recorded epoch
 *   {prefix}payouts:amounts:{root}   hash    lower-case operator → cumulative (decimal)
 *   {prefix}payouts:tree:{root}      string  the tree's standard-v1 dump (JSON)
 *   {prefix}payouts:lease            string  the publisher lease's holder, with a TTL
 *
 * Leaves and trees are keyed by root, i.e. by their content: they are written before the
 * record that names them, so a crash in between leaves at most an unnamed copy, and two
 * brokers racing to record the same epoch can never mix their leaves.
 */

const KEYS = `
local prefix = ARGV[1]
local function epoch_key(epoch) return prefix .. 'payouts:epoch:' .. epoch end
`;

/** ARGV: prefix, epoch, record JSON → {1, record} when created, {0, existing record} when already there. */
const CREATE_EPOCH = new LuaScript(
  'payouts.createEpoch',
  `${KEYS}
local key = epoch_key(ARGV[2])
local existing = redis.call('HGET', key, 'record')
if existing then return {0, existing} end
redis.call('HSET', key, 'record', ARGV[3], 'revision', '1')
redis.call('ZADD', prefix .. 'payouts:epochs', ARGV[2], ARGV[2])
return {1, ARGV[3]}
`,
);

/** ARGV: prefix, epoch, expected revision, next record JSON → 1 when written, 0 when the revision moved on. */
const UPDATE_EPOCH = new LuaScript(
  'payouts.updateEpoch',
  `${KEYS}
local key = epoch_key(ARGV[2])
if redis.call('HGET', key, 'revision') ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'record', ARGV[4], 'revision', tostring(tonumber(ARGV[3]) + 1))
return 1
`,
);

/** ARGV: prefix, holder, ttl ms → 1 when the holder has the lease (taken or renewed), 0 when another has it. */
const ACQUIRE_LEASE = new LuaScript(
  'payouts.acquireLease',
  `${KEYS}
local key = prefix .. 'payouts:lease'
local holder = redis.call('GET', key)
if holder and holder ~= ARGV[2] then return 0 end
redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
return 1
`,
);

const RELEASE_LEASE = new LuaScript(
  'payouts.releaseLease',
  `${KEYS}
local key = prefix .. 'payouts:lease'
if redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
return 1
`,
);

/** Leaves per HSET: big epochs are written in slices so no single command blocks Redis for long. */
const AMOUNTS_PER_COMMAND = 5_000;

const StoredJsonSchema = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});
const StoredRecordSchema = StoredJsonSchema.pipe(StoredPublishRecordSchema);
const StoredDumpSchema = StoredJsonSchema.pipe(
  z.looseObject({ format: z.literal('standard-v1'), tree: z.array(z.string()), values: z.array(z.unknown()) }),
);
const CreateReplySchema = z.tuple([z.union([z.literal(0), z.literal(1)]), z.string()]);
const FlagReplySchema = z.union([z.literal(0), z.literal(1)]);

export interface RedisPublishStoreOptions {
  url: string;
  /** Prepended to every key (the broker's REDIS_KEY_PREFIX). */
  keyPrefix: string;
  onError?: (error: Error) => void;
}

export class RedisPublishStore implements PublishStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Connects, and fails fast when Redis cannot be reached. */
  static async connect(options: RedisPublishStoreOptions): Promise<RedisPublishStore> {
    const redis = await connectRedis(options.url, { onError: options.onError });
    return new RedisPublishStore(redis, options.keyPrefix);
  }

  async createEpoch(input: EpochInput, now: number): Promise<{ created: boolean; record: PublishRecord }> {
    const epoch = parseOrThrow(EpochNumberSchema, input.epoch, 'epoch');
    const existing = await this.get(epoch);
    if (existing) return { created: false, record: existing };
    await this.writeLeaves(input);
    const record = newPublishRecord(epoch, input.root, input.total, input.amounts.size, now);
    const reply = await CREATE_EPOCH.run(this.redis, [this.prefix, epoch, encode(record)]);
    const [created, json] = this.parseReply(CREATE_EPOCH.name, CreateReplySchema, reply);
    return { created: created === 1, record: this.parseRecord(json, this.epochKey(epoch)) };
  }

  async get(epoch: number): Promise<PublishRecord | undefined> {
    const key = this.epochKey(parseOrThrow(EpochNumberSchema, epoch, 'epoch'));
    const json = await this.redis.hget(key, 'record');
    return json === null ? undefined : this.parseRecord(json, key);
  }

  async list(): Promise<PublishRecord[]> {
    const epochs = (await this.redis.zrange(`${this.prefix}payouts:epochs`, 0, -1)).map(Number);
    if (epochs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const epoch of epochs) pipeline.hget(this.epochKey(epoch), 'record');
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error, json], index) => {
      if (error) throw error;
      return typeof json === 'string' ? [this.parseRecord(json, this.epochKey(epochs[index] as number))] : [];
    });
  }

  async update(epoch: number, revision: number, patch: PublishPatch, now: number): Promise<PublishRecord | undefined> {
    const current = await this.get(epoch);
    if (!current || current.revision !== revision) return undefined;
    const next: PublishRecord = { ...current, ...patch, updatedAt: now, revision: revision + 1 };
    const reply = await UPDATE_EPOCH.run(this.redis, [this.prefix, epoch, revision, encode(next)]);
    return this.parseReply(UPDATE_EPOCH.name, FlagReplySchema, reply) === 1 ? next : undefined;
  }

  async amountsOf(operator: string, epochs: readonly number[]): Promise<(bigint | undefined)[]> {
    if (epochs.length === 0) return [];
    const records = await Promise.all(epochs.map((epoch) => this.get(epoch)));
    const pipeline = this.redis.pipeline();
    for (const record of records) {
      pipeline.hget(`${this.prefix}payouts:amounts:${record?.root ?? 'none'}`, operator.toLowerCase());
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value], index) => {
      if (error) throw error;
      if (value === null || records[index] === undefined) return undefined;
      const parsed = BaseUnitsSchema.safeParse(value);
      if (!parsed.success) throw corrupt(`${this.prefix}payouts:amounts:${records[index].root}`);
      return parsed.data;
    });
  }

  async treeDump(epoch: number): Promise<EpochTreeDump | undefined> {
    const record = await this.get(epoch);
    if (!record) return undefined;
    const key = `${this.prefix}payouts:tree:${record.root}`;
    const json = await this.redis.get(key);
    if (json === null) return undefined;
    const parsed = StoredDumpSchema.safeParse(json);
    if (!parsed.success) throw corrupt(key);
    return parsed.data as unknown as EpochTreeDump;
  }

  async acquireLease(holder: string, ttlMs: number): Promise<boolean> {
    const reply = await ACQUIRE_LEASE.run(this.redis, [this.prefix, holder, Math.ceil(ttlMs)]);
    return this.parseReply(ACQUIRE_LEASE.name, FlagReplySchema, reply) === 1;
  }

  async releaseLease(holder: string): Promise<void> {
    await RELEASE_LEASE.run(this.redis, [this.prefix, holder]);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private async writeLeaves(input: EpochInput): Promise<void> {
    const amountsKey = `${this.prefix}payouts:amounts:${input.root}`;
    const entries = [...input.amounts].map(([operator, amount]) => [operator.toLowerCase(), amount.toString()]);
    const pipeline = this.redis.pipeline();
    for (let start = 0; start < entries.length; start += AMOUNTS_PER_COMMAND) {
      pipeline.hset(amountsKey, ...entries.slice(start, start + AMOUNTS_PER_COMMAND).flat());
    }
    pipeline.set(`${this.prefix}payouts:tree:${input.root}`, JSON.stringify(input.dump));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  private epochKey(epoch: number): string {
    return `${this.prefix}payouts:epoch:${epoch}`;
  }

  private parseRecord(json: string, key: string): PublishRecord {
    const parsed = StoredRecordSchema.safeParse(json);
    if (!parsed.success) throw corrupt(key);
    return parsed.data;
  }

  private parseReply<T>(script: string, schema: z.ZodType<T>, reply: unknown): T {
    const parsed = schema.safeParse(reply);
    if (!parsed.success) throw makeError(ErrorCode.INTERNAL, `unexpected reply from ${script}`);
    return parsed.data;
  }
}

function encode(record: PublishRecord): string {
  return JSON.stringify(z.encode(StoredPublishRecordSchema, record));
}

function corrupt(key: string) {
  return makeError(ErrorCode.INTERNAL, `corrupt payout record at ${key}`, { key });
}
