import type { EpochTreeDump } from '@edgeplay/chain';
import type { PublishStatus } from '@edgeplay/shared';

export type { PublishStatus };

/**
 * One epoch's publish, as the store keeps it. It moves
 * `pending → submitted(txHash) → confirmed | failed`; `submitted` is written with the signed
 * transaction *before* it is broadcast, so a crash at any point leaves a record that says
 * exactly what may be on chain (see EpochPublisher).
 */
export interface PublishRecord {
  epoch: number;
  /** Merkle root of the epoch's cumulative amounts (0x…, 32 bytes). */
  root: string;
  /** Sum of every operator's cumulative amount, base units. */
  total: bigint;
  operators: number;
  status: PublishStatus;
  /** Every transaction signed for this epoch, oldest first (a re-signed one is appended). */
  txHashes: string[];
  /** The latest signed transaction, kept to broadcast it again after a crash or an RPC outage. */
  rawTx: string | null;
  nonce: number | null;
  /** Block of the transaction that published the root (confirmed only). */
  blockNumber: number | null;
  /** Why it failed, or the last transient error while it is still pending or submitted. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every write; updates are compare-and-set on it. */
  revision: number;
}

/** What changes in an update; the store bumps `revision` and `updatedAt`. */
export type PublishPatch = Partial<
  Pick<PublishRecord, 'status' | 'txHashes' | 'rawTx' | 'nonce' | 'blockNumber' | 'error'>
>;

/** A closed epoch, ready to be recorded. */
export interface EpochInput {
  epoch: number;
  root: string;
  total: bigint;
  /** Operator (checksummed) → cumulative base units: the tree's leaves. */
  amounts: ReadonlyMap<string, bigint>;
  /** The tree in @openzeppelin/merkle-tree's standard-v1 format, to serve proofs from. */
  dump: EpochTreeDump;
}

export interface PublishStore {
  /**
   * Records a closed epoch as `pending` with its leaves and tree, unless the epoch is already
   * recorded: then returns that record untouched (`created: false`), whatever its root.
   */
  createEpoch(input: EpochInput, now: number): Promise<{ created: boolean; record: PublishRecord }>;
  get(epoch: number): Promise<PublishRecord | undefined>;
  /** Every recorded epoch, oldest first. */
  list(): Promise<PublishRecord[]>;
  /**
   * Applies `patch` if the record is still at `revision` (compare-and-set); returns the new
   * record, or undefined when another write came first (re-read and decide again).
   */
  update(epoch: number, revision: number, patch: PublishPatch, now: number): Promise<PublishRecord | undefined>;
  /** The operator's cumulative amount in each of `epochs` (undefined: no leaf in that epoch). */
  amountsOf(operator: string, epochs: readonly number[]): Promise<(bigint | undefined)[]>;
  /** The epoch's tree as recorded by createEpoch. */
  treeDump(epoch: number): Promise<EpochTreeDump | undefined>;
  /**
   * Takes or renews the publisher lease for `holder` (`ttlMs`); false while another holder has
   * it. Only the holder signs, so two brokers configured with the key never publish at once.
   */
  acquireLease(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` has it. */
  releaseLease(holder: string): Promise<void>;
  close(): Promise<void>;
}
