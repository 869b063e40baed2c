import { connectRedis } from '../store/redis-connect.js';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  EdgeIdSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  SessionIdSchema,
  type SignedReceipt,
} from '@edgeplay/shared';
import type { LuaScript } from '../store/lua-script.js';
import { ACCEPT_RECEIPT, FREEZE_EPOCH, GRANT_EDGE_KEY, RECORD_VERDICT } from './ledger-scripts.js';
import {
  EdgeDeclarationSchema,
  EdgeKeyGrantSchema,
  EdgeKeySchema,
  EpochCloseRecordSchema,
  EpochNumberSchema,
  IntervalVerdictSchema,
  SessionPartiesSchema,
  StoredReceiptSchema,
  VerdictRecordSchema,
} from './ledger-schemas.js';
import type {
  AcceptOutcome,
  EdgeKeyGrant,
  EdgeParty,
  EpochCloseRecord,
  EpochCredit,
  IntervalRecord,
  IntervalVerdict,
  LedgerStore,
  SessionParties,
  VerdictRecord,
} from './ledger-store.js';

const KeyPrefixSchema = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9:{}._-]*$/, 'letters, digits and : { } . _ -');

const json = <S extends z.ZodType>(schema: S) =>
  z.string().transform((text, ctx): z.output<S> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as z.output<S>;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });

const optionalJson = <S extends z.ZodType>(schema: S) =>
  z.union([z.literal('').transform(() => undefined), json(schema)]);

const AcceptReplySchema = z.union([
  z.tuple([z.enum(['accepted', 'duplicate']), optionalJson(StoredReceiptSchema), optionalJson(IntervalVerdictSchema)]),
  z.tuple([z.literal('conflict')]),
  z.tuple([z.literal('no-session')]),
  z.tuple([z.literal('out-of-order'), z.string().regex(/^\d+$/), z.string().regex(/^\d+$/)]),
]);
const VerdictReplySchema = z.union([
  z.tuple([z.literal('ok'), json(IntervalVerdictSchema)]),
  z.tuple([z.literal('no-session')]),
]);
const FreezeReplySchema = z.union([
  z.tuple([z.literal('frozen'), z.array(z.string())]),
  z.tuple([z.literal('future'), z.string()]),
]);
const CREDIT_FIELD = /^(ms|w|n|x):(0x[0-9a-fA-F]{40}):([a-z0-9-]{1,32})$/;
const WholeSchema = z.string().regex(/^\d+$/);

export interface RedisLedgerOptions {
  url: string;
  /** Prepended to every key (`ledger:` follows it), as for the Store. */
  keyPrefix?: string;
  onError?: (error: Error) => void;
}

/**
 * The ledger in Redis, shared by every broker. Writes that read first run as Lua
 * scripts (ledger-scripts.ts); everything read back is zod-parsed, so a corrupt record
 * is a coded INTERNAL error, never a crash. With AOF (`appendonly yes`) it survives a
 * Redis restart; brokers keep nothing of it in memory, so it survives theirs too.
 */
export class RedisLedger implements LedgerStore {
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async connect(options: RedisLedgerOptions): Promise<RedisLedger> {
    const prefix = parseOrThrow(KeyPrefixSchema, options.keyPrefix ?? 'edgeplay:', 'keyPrefix');
    const redis = await connectRedis(options.url, { onError: options.onError });
    return new RedisLedger(redis, prefix);
  }

  async grantEdgeKey(grant: EdgeKeyGrant, pruneBefore: number): Promise<void> {
    const { sessionKey, expiresAt, ...declared } = parseOrThrow(EdgeKeyGrantSchema, grant, 'edge key grant');
    const key = JSON.stringify({ sessionKey, operator: declared.operator, expiresAt });
    await this.run(GRANT_EDGE_KEY, [declared.edgeId, JSON.stringify(declared), sessionKey, key, pruneBefore]);
  }

  async edgeParty(edgeId: string): Promise<EdgeParty | undefined> {
    const base = `${this.prefix}ledger:edge:${parseOrThrow(EdgeIdSchema, edgeId, 'edgeId')}`;
    this.assertOpen();
    const [declared, keys] = await Promise.all([this.redis.get(base), this.redis.hvals(`${base}:keys`)]);
    if (declared === null) return undefined;
    return {
      ...parseStored(json(EdgeDeclarationSchema), declared, base),
      keys: keys.map((entry) => parseStored(json(EdgeKeySchema), entry, `${base}:keys`)),
    };
  }

  async recordSession(parties: SessionParties): Promise<SessionParties> {
    const record = parseOrThrow(SessionPartiesSchema, parties, 'session parties');
    const key = this.sessionKey(record.sessionId);
    this.assertOpen();
    if ((await this.redis.set(key, JSON.stringify(record), 'NX')) === 'OK') return record;
    return parseStored(json(SessionPartiesSchema), await this.redis.get(key), key);
  }

  async session(sessionId: string): Promise<SessionParties | undefined> {
    const key = this.sessionKey(sessionId);
    this.assertOpen();
    const stored = await this.redis.get(key);
    return stored === null ? undefined : parseStored(json(SessionPartiesSchema), stored, key);
  }

  async acceptReceipt(signed: SignedReceipt): Promise<AcceptOutcome> {
    const record = parseOrThrow(StoredReceiptSchema, signed, 'receipt');
    const { sessionId, seq, side, from, to } = record.receipt;
    const other = side === 'player' ? 'edge' : 'player';
    const args = [sessionId, seq, side, other, JSON.stringify(record), record.signature, from, to];
    const reply = parseStored(AcceptReplySchema, await this.run(ACCEPT_RECEIPT, args), 'reply of acceptReceipt');
    switch (reply[0]) {
      case 'no-session':
        throw makeError(ErrorCode.SESSION_NOT_FOUND, `the ledger has no session ${sessionId}`);
      case 'conflict':
        return { status: 'conflict' };
      case 'out-of-order':
        return { status: 'out-of-order', lastSeq: Number(reply[1]), lastTo: Number(reply[2]) };
      default:
        return { status: reply[0], other: reply[1], verdict: reply[2] };
    }
  }

  async recordVerdict(sessionId: string, seq: number, verdict: VerdictRecord): Promise<IntervalVerdict> {
    const record = parseOrThrow(VerdictRecordSchema, verdict, 'verdict');
    const weighted = BigInt(record.creditedMs) * BigInt(record.qualityBps);
    const args = [
      parseOrThrow(SessionIdSchema, sessionId, 'sessionId'),
      seq,
      JSON.stringify(record),
      record.status,
      record.operator,
      record.gpuClass,
      record.creditedMs,
      weighted.toString(),
    ];
    const reply = parseStored(VerdictReplySchema, await this.run(RECORD_VERDICT, args), 'reply of recordVerdict');
    if (reply[0] === 'no-session')
      throw makeError(ErrorCode.SESSION_NOT_FOUND, `the ledger has no session ${sessionId}`);
    return reply[1];
  }

  async intervals(sessionId: string): Promise<IntervalRecord[]> {
    const key = `${this.sessionKey(sessionId)}:intervals`;
    this.assertOpen();
    const fields = await this.redis.hgetall(key);
    const bySeq = new Map<number, IntervalRecord>();
    for (const [field, value] of Object.entries(fields)) {
      const match = /^(\d+):(player|edge|verdict)$/.exec(field);
      if (!match?.[1] || !match[2]) throw corrupt(key);
      const seq = Number(match[1]);
      const interval = bySeq.get(seq) ?? { seq };
      if (match[2] === 'verdict') interval.verdict = parseStored(json(IntervalVerdictSchema), value, key);
      else interval[match[2] as 'player' | 'edge'] = parseStored(json(StoredReceiptSchema), value, key);
      bySeq.set(seq, interval);
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  async currentEpoch(): Promise<number> {
    const key = `${this.prefix}ledger:epoch`;
    this.assertOpen();
    const stored = await this.redis.get(key);
    return stored === null ? 1 : parseStored(WholeSchema.transform(Number).pipe(EpochNumberSchema), stored, key);
  }

  async epochHasCredits(epoch: number): Promise<boolean> {
    parseOrThrow(EpochNumberSchema, epoch, 'epoch');
    this.assertOpen();
    return (await this.redis.exists(`${this.prefix}ledger:epoch:${epoch}:credits`)) === 1;
  }

  async freezeEpoch(epoch: number): Promise<EpochCredit[] | undefined> {
    parseOrThrow(EpochNumberSchema, epoch, 'epoch');
    const reply = parseStored(FreezeReplySchema, await this.run(FREEZE_EPOCH, [epoch]), 'reply of freezeEpoch');
    if (reply[0] === 'future') return undefined;
    const where = `${this.prefix}ledger:epoch:${epoch}:credits`;
    const credits = new Map<string, EpochCredit>();
    const flat = reply[1];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = CREDIT_FIELD.exec(flat[i] ?? '');
      const value = parseStored(WholeSchema, flat[i + 1], where);
      const [, kind, operator, gpuClass] = field ?? [];
      if (!kind || !operator || !gpuClass) throw corrupt(where);
      const id = `${operator}:${gpuClass}`;
      const credit = credits.get(id) ?? {
        operator,
        gpuClass,
        verifiedMs: 0,
        weightedMs: 0n,
        intervals: 0,
        mismatches: 0,
      };
      if (kind === 'ms') credit.verifiedMs = Number(value);
      else if (kind === 'w') credit.weightedMs = BigInt(value);
      else if (kind === 'n') credit.intervals = Number(value);
      else credit.mismatches = Number(value);
      credits.set(id, credit);
    }
    return [...credits.values()];
  }

  async epochClose(epoch: number): Promise<EpochCloseRecord | undefined> {
    const key = this.closeKey(epoch);
    this.assertOpen();
    const stored = await this.redis.get(key);
    return stored === null ? undefined : parseStored(json(EpochCloseRecordSchema), stored, key);
  }

  async saveEpochClose(record: EpochCloseRecord): Promise<EpochCloseRecord> {
    const parsed = parseOrThrow(EpochCloseRecordSchema, record, 'epoch close');
    const key = this.closeKey(parsed.epoch);
    this.assertOpen();
    // First writer wins: two brokers closing the same epoch end up with one record.
    if ((await this.redis.set(key, JSON.stringify(parsed), 'NX')) === 'OK') return parsed;
    return parseStored(json(EpochCloseRecordSchema), await this.redis.get(key), key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit();
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}ledger:session:${parseOrThrow(SessionIdSchema, sessionId, 'sessionId')}`;
  }

  private closeKey(epoch: number): string {
    return `${this.prefix}ledger:epoch:${parseOrThrow(EpochNumberSchema, epoch, 'epoch')}:close`;
  }

  private assertOpen(): void {
    if (this.closed) throw makeError(ErrorCode.INTERNAL, 'ledger is closed');
  }

  private run(script: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    this.assertOpen();
    return script.run(this.redis, [this.prefix, ...args]);
  }
}

const corrupt = (where: string): Error => makeError(ErrorCode.INTERNAL, `corrupt ledger record at ${where}`);

/** Parses what came back from Redis; anything else is a corrupt record (INTERNAL), not a crash. */
function parseStored<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw makeError(ErrorCode.INTERNAL, `corrupt ledger record at ${where}`, { where, issues: result.error.issues });
}
