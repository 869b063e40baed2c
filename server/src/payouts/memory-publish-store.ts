import type { EpochTreeDump } from '@edgeplay/chain';
import { parseOrThrow } from '@edgeplay/shared';
import { EpochNumberSchema, newPublishRecord } from './publish-record-schema.js';
import type { EpochInput, PublishPatch, PublishRecord, PublishStore } from './publish-store.js';

interface StoredEpoch {
  record: PublishRecord;
  /** Lower-case address → cumulative. */
  amounts: Map<string, bigint>;
  dump: EpochTreeDump;
}

/**
 * Publishes of one broker process, in memory: what `npm start` uses without REDIS_URL. A
 * restart forgets them, so a broker with this store must not share a chain with an earlier run
 * (the publisher then refuses to close an epoch the contract already has; see EpochPublisher).
 */
export class MemoryPublishStore implements PublishStore {
  private readonly epochs = new Map<number, StoredEpoch>();
  private lease: { holder: string; expiresAt: number } | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  createEpoch(input: EpochInput, now: number): Promise<{ created: boolean; record: PublishRecord }> {
    const epoch = parseOrThrow(EpochNumberSchema, input.epoch, 'epoch');
    const existing = this.epochs.get(epoch);
    if (existing) return Promise.resolve({ created: false, record: copy(existing.record) });
    const amounts = new Map([...input.amounts].map(([operator, amount]) => [operator.toLowerCase(), amount]));
    const record = newPublishRecord(epoch, input.root, input.total, amounts.size, now);
    this.epochs.set(epoch, { record, amounts, dump: structuredClone(input.dump) });
    return Promise.resolve({ created: true, record: copy(record) });
  }

  get(epoch: number): Promise<PublishRecord | undefined> {
    const stored = this.epochs.get(epoch);
    return Promise.resolve(stored && copy(stored.record));
  }

  list(): Promise<PublishRecord[]> {
    const records = [...this.epochs.values()].map((stored) => copy(stored.record));
    return Promise.resolve(records.sort((a, b) => a.epoch - b.epoch));
  }

  update(epoch: number, revision: number, patch: PublishPatch, now: number): Promise<PublishRecord | undefined> {
    const stored = this.epochs.get(epoch);
    if (!stored || stored.record.revision !== revision) return Promise.resolve(undefined);
    stored.record = { ...stored.record, ...copyPatch(patch), updatedAt: now, revision: revision + 1 };
    return Promise.resolve(copy(stored.record));
  }

  amountsOf(operator: string, epochs: readonly number[]): Promise<(bigint | undefined)[]> {
    const key = operator.toLowerCase();
    return Promise.resolve(epochs.map((epoch) => this.epochs.get(epoch)?.amounts.get(key)));
  }

  treeDump(epoch: number): Promise<EpochTreeDump | undefined> {
    const stored = this.epochs.get(epoch);
    return Promise.resolve(stored && structuredClone(stored.dump));
  }

  acquireLease(holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    if (this.lease && this.lease.holder !== holder && this.lease.expiresAt > now) return Promise.resolve(false);
    this.lease = { holder, expiresAt: now + ttlMs };
    return Promise.resolve(true);
  }

  releaseLease(holder: string): Promise<void> {
    if (this.lease?.holder === holder) this.lease = undefined;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function copy(record: PublishRecord): PublishRecord {
  return { ...record, txHashes: [...record.txHashes] };
}

function copyPatch(patch: PublishPatch): PublishPatch {
  return patch.txHashes ? { ...patch, txHashes: [...patch.txHashes] } : { ...patch };
}
