import { getAddress, type Contract } from 'ethers';
import {
  ErrorCode,
  makeError,
  type ClaimProof,
  type EpochEarning,
  type OperatorEarnings,
  type PayoutChain,
} from '@edgeplay/shared';
import { describeChainError } from './publish-errors.js';
import type { PublishRecord, PublishStore } from './publish-store.js';
import { TreeProofs } from './tree-proofs.js';

/** Minutes of play the usage ledger verified for `operator` in each of `epochs` (null: unknown). */
export type VerifiedMinutes = (operator: string, epochs: readonly number[]) => Promise<(number | null)[]>;

export interface OperatorEarningsOptions {
  store: PublishStore;
  /** RewardDistributor, connected to a provider (reads only). */
  distributor: Contract;
  chain: PayoutChain;
  verifiedMinutes?: VerifiedMinutes;
  /** How long to wait for the chain before answering without on-chain figures; default 5 s. */
  chainTimeoutMs?: number;
}

/**
 * What an operator has earned, from the publish records (per epoch) and the contract (what it
 * has claimed, and which root claims are checked against), with the proof to claim.
 */
export class OperatorEarningsReader {
  /** Proofs of the latest root asked for: every operator's page asks for the same one. */
  private proofs: { root: string; proofs: TreeProofs } | undefined;

  constructor(private readonly options: OperatorEarningsOptions) {}

  async earnings(address: string): Promise<OperatorEarnings> {
    const operator = parseOperator(address);
    const { store } = this.options;
    const records = await store.list();
    const amounts = await store.amountsOf(
      operator,
      records.map((record) => record.epoch),
    );
    const withLeaf = records.flatMap((record, index) => {
      const cumulative = amounts[index];
      return cumulative === undefined ? [] : [{ record, cumulative }];
    });
    const minutes = this.options.verifiedMinutes
      ? await this.options.verifiedMinutes(
          operator,
          withLeaf.map(({ record }) => record.epoch),
        )
      : [];
    let previous = 0n;
    const epochs: EpochEarning[] = withLeaf.map(({ record, cumulative }, index) => {
      const amount = cumulative > previous ? cumulative - previous : 0n;
      previous = cumulative > previous ? cumulative : previous;
      return {
        epoch: record.epoch,
        cumulative,
        amount,
        root: record.root,
        status: record.status,
        txHash: record.txHashes.at(-1) ?? null,
        verifiedMinutes: minutes[index] ?? null,
      };
    });

    const confirmed = withLeaf.filter(({ record }) => record.status === 'confirmed');
    const closed = withLeaf.filter(({ record }) => record.status !== 'failed');
    const latestConfirmed = confirmed.at(-1)?.cumulative ?? 0n;
    const latestClosed = closed.at(-1)?.cumulative ?? 0n;
    const pending = latestClosed > latestConfirmed ? latestClosed - latestConfirmed : 0n;

    const base = { ok: true as const, operator, chain: this.options.chain, epochs, pending };
    let claimed: bigint;
    let currentRoot: string;
    try {
      [claimed, currentRoot] = await this.fromChain(operator);
    } catch (error) {
      const chainError = `the chain did not answer: ${describeChainError(error)}`;
      return { ...base, claimed: null, claimable: null, proof: null, chainError };
    }
    // Only the contract's current root counts; it is the newest confirmed epoch unless a publish is racing this read.
    const current = records.filter((record) => record.status === 'confirmed' && record.root === currentRoot).at(-1);
    const proof = current ? await this.proofOf(current, operator) : null;
    const claimable = proof && proof.cumulativeAmount > claimed ? proof.cumulativeAmount - claimed : 0n;
    return { ...base, claimed, claimable, proof, chainError: null };
  }

  private async fromChain(operator: string): Promise<[bigint, string]> {
    const { distributor } = this.options;
    const timeoutMs = this.options.chainTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const [claimed, root] = await Promise.race([
        Promise.all([
          distributor.getFunction('claimed').staticCall(operator) as Promise<bigint>,
          distributor.getFunction('merkleRoot').staticCall() as Promise<string>,
        ]),
        timeout,
      ]);
      return [claimed, root];
    } finally {
      clearTimeout(timer);
    }
  }

  private async proofOf(record: PublishRecord, operator: string): Promise<ClaimProof | null> {
    if (this.proofs?.root !== record.root) {
      const dump = await this.options.store.treeDump(record.epoch);
      if (!dump) throw makeError(ErrorCode.INTERNAL, `the tree of epoch ${record.epoch} is missing from the store`);
      this.proofs = { root: record.root, proofs: new TreeProofs(dump) };
    }
    const leaf = this.proofs.proofs.leaf(operator);
    return leaf
      ? { epoch: record.epoch, root: record.root, cumulativeAmount: leaf.cumulativeAmount, proof: leaf.proof }
      : null;
  }
}

/** The operator's checksummed address; INVALID_MESSAGE for anything else. */
export function parseOperator(address: string): string {
  const refuse = () =>
    makeError(
      ErrorCode.INVALID_MESSAGE,
      `not an Ethereum address (0x and 40 hex digits, mixed case only with a valid checksum): ${address.slice(0, 64)}`,
    );
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw refuse();
  try {
    return getAddress(address);
  } catch {
    throw refuse();
  }
}
