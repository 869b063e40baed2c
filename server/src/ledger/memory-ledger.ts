import { ErrorCode, makeError, type SignedReceipt } from '@edgeplay/shared';
import type {
  AcceptOutcome,
  EdgeKey,
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

interface SessionState {
  parties: SessionParties;
  intervals: Map<number, IntervalRecord>;
  last: Partial<Record<'player' | 'edge', { seq: number; to: number }>>;
}

const noSession = (sessionId: string): Error =>
  makeError(ErrorCode.SESSION_NOT_FOUND, `the ledger has no session ${sessionId}`);

const creditKey = (operator: string, gpuClass: string): string => `${operator}:${gpuClass}`;

/**
 * The ledger in this process's memory: for one broker, and lost when it stops. Each method
 * completes without awaiting anything, so it is atomic; values are copied in and out so
 * callers never share state with the store.
 */
export class MemoryLedger implements LedgerStore {
  private readonly edges = new Map<string, Omit<EdgeParty, 'keys'> & { keys: Map<string, EdgeKey> }>();
  private readonly sessions = new Map<string, SessionState>();
  private epoch = 1;
  private readonly credits = new Map<number, Map<string, EpochCredit>>();
  private readonly closes = new Map<number, EpochCloseRecord>();

  grantEdgeKey(grant: EdgeKeyGrant, pruneBefore: number): Promise<void> {
    const { sessionKey, expiresAt, ...declared } = grant;
    const keys = this.edges.get(grant.edgeId)?.keys ?? new Map<string, EdgeKey>();
    keys.set(sessionKey, { sessionKey, operator: grant.operator, expiresAt });
    for (const [key, entry] of keys) if (entry.expiresAt < pruneBefore) keys.delete(key);
    this.edges.set(grant.edgeId, { ...structuredClone(declared), keys });
    return Promise.resolve();
  }

  edgeParty(edgeId: string): Promise<EdgeParty | undefined> {
    const edge = this.edges.get(edgeId);
    if (!edge) return Promise.resolve(undefined);
    return Promise.resolve(structuredClone({ ...edge, keys: [...edge.keys.values()] }));
  }

  recordSession(parties: SessionParties): Promise<SessionParties> {
    const existing = this.sessions.get(parties.sessionId);
    if (existing) return Promise.resolve({ ...existing.parties });
    this.sessions.set(parties.sessionId, { parties: { ...parties }, intervals: new Map(), last: {} });
    return Promise.resolve({ ...parties });
  }

  session(sessionId: string): Promise<SessionParties | undefined> {
    const state = this.sessions.get(sessionId);
    return Promise.resolve(state ? { ...state.parties } : undefined);
  }

  acceptReceipt(signed: SignedReceipt): Promise<AcceptOutcome> {
    const { sessionId, seq, side, from, to } = signed.receipt;
    const state = this.sessions.get(sessionId);
    if (!state) return Promise.reject(noSession(sessionId));
    const interval = state.intervals.get(seq) ?? { seq };
    const existing = interval[side];
    let status: 'accepted' | 'duplicate';
    if (existing) {
      if (existing.signature !== signed.signature) return Promise.resolve({ status: 'conflict' });
      status = 'duplicate';
    } else {
      const last = state.last[side];
      if (last && (seq <= last.seq || from < last.to)) {
        return Promise.resolve({ status: 'out-of-order', lastSeq: last.seq, lastTo: last.to });
      }
      interval[side] = structuredClone(signed);
      state.intervals.set(seq, interval);
      state.last[side] = { seq, to };
      status = 'accepted';
    }
    const other = interval[side === 'player' ? 'edge' : 'player'];
    return Promise.resolve({
      status,
      other: other && structuredClone(other),
      verdict: interval.verdict && { ...interval.verdict },
    });
  }

  recordVerdict(sessionId: string, seq: number, verdict: VerdictRecord): Promise<IntervalVerdict> {
    const state = this.sessions.get(sessionId);
    if (!state) return Promise.reject(noSession(sessionId));
    const interval = state.intervals.get(seq) ?? { seq };
    if (interval.verdict) return Promise.resolve({ ...interval.verdict });
    const stored: IntervalVerdict = { ...verdict, epoch: this.epoch };
    interval.verdict = stored;
    state.intervals.set(seq, interval);
    const credits = this.credits.get(this.epoch) ?? new Map<string, EpochCredit>();
    const key = creditKey(verdict.operator, verdict.gpuClass);
    const credit = credits.get(key) ?? {
      operator: verdict.operator,
      gpuClass: verdict.gpuClass,
      verifiedMs: 0,
      weightedMs: 0n,
      intervals: 0,
      mismatches: 0,
    };
    if (verdict.status === 'verified') {
      credit.verifiedMs += verdict.creditedMs;
      credit.weightedMs += BigInt(verdict.creditedMs) * BigInt(verdict.qualityBps);
      credit.intervals += 1;
    } else credit.mismatches += 1;
    credits.set(key, credit);
    this.credits.set(this.epoch, credits);
    return Promise.resolve({ ...stored });
  }

  intervals(sessionId: string): Promise<IntervalRecord[]> {
    const state = this.sessions.get(sessionId);
    const records = state ? [...state.intervals.values()].sort((a, b) => a.seq - b.seq) : [];
    return Promise.resolve(structuredClone(records));
  }

  currentEpoch(): Promise<number> {
    return Promise.resolve(this.epoch);
  }

  freezeEpoch(epoch: number): Promise<EpochCredit[] | undefined> {
    if (epoch > this.epoch) return Promise.resolve(undefined);
    if (epoch === this.epoch) this.epoch += 1;
    return Promise.resolve([...(this.credits.get(epoch)?.values() ?? [])].map((credit) => ({ ...credit })));
  }

  epochHasCredits(epoch: number): Promise<boolean> {
    return Promise.resolve((this.credits.get(epoch)?.size ?? 0) > 0);
  }

  epochClose(epoch: number): Promise<EpochCloseRecord | undefined> {
    const record = this.closes.get(epoch);
    return Promise.resolve(record && structuredClone(record));
  }

  saveEpochClose(record: EpochCloseRecord): Promise<EpochCloseRecord> {
    if (!this.closes.has(record.epoch)) this.closes.set(record.epoch, structuredClone(record));
    return Promise.resolve(structuredClone(this.closes.get(record.epoch) ?? record));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
