import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { isError, Transaction, ZeroHash, type Contract, type NonceManager, type Provider } from 'ethers';
import type { Logger } from 'pino';
import { buildEpochTree } from '@edgeplay/chain';
import { ErrorCode, isEdgePlayError, makeError } from '@edgeplay/shared';
import { describeChainError, isAlreadyKnown, isFinal } from './publish-errors.js';
import type { PublishPatch, PublishRecord, PublishStore } from './publish-store.js';

/** Closes ledger epoch `epoch` (idempotent for a closed one) and gives every operator's cumulative amount through it. */
export type CloseEpoch = (epoch: number) => Promise<ReadonlyMap<string, bigint>>;

/** Steps a publish announces as it passes them (logs, metrics; tests stop the process at one). */
export type PublishStep = 'submitted' | 'broadcast' | 'confirmed' | 'failed';

export interface EpochPublisherOptions {
  store: PublishStore;
  /** The publisher key, wrapped once in a NonceManager: every transaction of this process goes through it. */
  signer: NonceManager;
  /** RewardDistributor, connected to the provider (reads only: the signer sends). */
  distributor: Contract;
  logger: Logger;
  /** Blocks the root's transaction must have, its own included. */
  confirmations: number;
  /** Failed RPC or store calls in a row tolerated before a publish gives up for now. */
  retries: number;
  /** The first wait after a failure; it doubles each time, up to 30 s. */
  retryDelayMs: number;
  /** How long one publish waits for its transaction to be mined and confirmed. */
  timeoutMs: number;
  /** How often to look for the receipt; default 250 ms. */
  pollMs?: number;
  /** The publisher lease: how long it lasts unless renewed (renewed every third of it while working). */
  leaseTtlMs?: number;
  clock?: () => number;
  onStep?: (step: PublishStep, record: PublishRecord) => void | Promise<void>;
}

const MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_LEASE_TTL_MS = 30_000;

type Progress = 'moved' | 'wait';

/**
 * Publishes epoch roots to RewardDistributor, exactly once each. A publish moves
 * `pending → submitted(txHash) → confirmed | failed` in the PublishStore:
 *
 * - `submitted` is recorded with the signed transaction (hash, raw bytes, nonce) *before* it
 *   is broadcast. Whatever point a crash hits, the record says what may be on chain.
 * - A `submitted` publish is settled, on this run or the next, by the receipts of its
 *   transactions, then by the contract's own `rootOf(epoch)`; only when neither shows it is the
 *   same signed transaction broadcast again (same nonce: it can be mined once at most). A
 *   new transaction is signed only when that nonce went to another transaction, i.e. the old
 *   one can never be mined. The contract refuses a second root for an epoch as well.
 * - RPC and store failures are retried with backoff; only the chain's refusal (a revert, no
 *   gas money) or a root on chain that differs from ours marks an epoch `failed`.
 *
 * One process signs: this one holds the store's publisher lease while it works, so a second
 * broker configured with the key waits instead of sending.
 */
export class EpochPublisher {
  private readonly holder = `publisher-${randomUUID()}`;
  private readonly clock: () => number;
  private readonly pollMs: number;
  private readonly leaseTtlMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: EpochPublisherOptions) {
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? 250;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /**
   * Closes the next epoch: finishes an unfinished previous publish first, checks that the
   * contract is where the records say, asks the ledger for the cumulative amounts, and
   * publishes them. Refuses (EPOCH_STATE) before asking the ledger when the previous epoch
   * failed or the contract disagrees, so a refused close never consumes the ledger's epoch.
   */
  closeEpoch(closeEpoch: CloseEpoch): Promise<PublishRecord> {
    return this.exclusive(async () => {
      const records = await this.options.store.list();
      const last = records.at(-1);
      if (last && last.status !== 'confirmed') {
        const finished = last.status === 'failed' ? last : await this.drive(last.epoch);
        if (finished.status !== 'confirmed') {
          throw makeError(
            ErrorCode.EPOCH_STATE,
            `epoch ${last.epoch} failed to publish (${finished.error ?? 'no reason recorded'}); retry it before closing another`,
          );
        }
      }
      const epoch = (last?.epoch ?? 0) + 1;
      const onChain = Number(await this.read<bigint>('currentEpoch'));
      if (onChain !== epoch - 1) {
        throw makeError(
          ErrorCode.EPOCH_STATE,
          `the contract is at epoch ${onChain} but this broker's records end at epoch ${epoch - 1}: ` +
            'is the payout store (REDIS_URL) the one that published to this contract?',
        );
      }
      return this.publishLocked(epoch, await closeEpoch(epoch));
    });
  }

  /** Records epoch `epoch` with these cumulative amounts (if it is not recorded yet) and publishes it. */
  publish(epoch: number, amounts: ReadonlyMap<string, bigint>): Promise<PublishRecord> {
    return this.exclusive(() => this.publishLocked(epoch, amounts));
  }

  /** Carries an unfinished (pending or submitted) publish through; a finished one is returned as it is. */
  resume(epoch: number): Promise<PublishRecord> {
    return this.exclusive(() => this.drive(epoch));
  }

  /** Resumes every unfinished publish, oldest first (at start, after a crash). */
  resumeUnfinished(): Promise<PublishRecord[]> {
    return this.exclusive(async () => {
      const unfinished = (await this.options.store.list()).filter(
        (record) => record.status === 'pending' || record.status === 'submitted',
      );
      const results: PublishRecord[] = [];
      for (const record of unfinished) results.push(await this.drive(record.epoch));
      return results;
    });
  }

  /** Tries a failed epoch again (e.g. after funding the publisher with gas money). */
  retry(epoch: number): Promise<PublishRecord> {
    return this.exclusive(async () => {
      const record = await this.mustGet(epoch);
      if (record.status !== 'failed') return this.drive(epoch);
      const reopened = await this.options.store.update(epoch, record.revision, { status: 'pending' }, this.clock());
      if (!reopened) throw makeError(ErrorCode.EPOCH_STATE, `epoch ${epoch} changed while reopening it; try again`);
      return this.drive(epoch);
    });
  }

  /** Stops: a publish in progress ends at its next step; the lease is given up. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.options.store.releaseLease(this.holder);
  }

  private async publishLocked(epoch: number, amounts: ReadonlyMap<string, bigint>): Promise<PublishRecord> {
    const tree = await buildEpochTree(amounts);
    const { created, record } = await this.options.store.createEpoch(
      { epoch, root: tree.root, total: tree.total, amounts, dump: tree.dump() },
      this.clock(),
    );
    if (!created && record.root !== tree.root) {
      throw makeError(ErrorCode.EPOCH_STATE, `epoch ${epoch} was already closed with another root (${record.root})`);
    }
    this.log(record).info(
      { root: record.root, operators: record.operators, total: String(record.total) },
      'epoch closed',
    );
    return this.drive(epoch);
  }

  /** Runs `work` after everything queued before it, holding the publisher lease throughout (given up after). */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw makeError(ErrorCode.EPOCH_STATE, 'the publisher is stopping');
      if (!(await this.waitForLease())) {
        throw makeError(
          ErrorCode.EPOCH_STATE,
          'another broker process holds the publisher lease: only one process may sign (see docs/chain.md)',
        );
      }
      const renew = setInterval(() => {
        this.options.store.acquireLease(this.holder, this.leaseTtlMs).then(
          (held) => {
            if (!held) this.options.logger.error('publisher lease lost to another process while publishing');
          },
          (error: unknown) => this.options.logger.warn({ error: String(error) }, 'publisher lease renewal failed'),
        );
      }, this.leaseTtlMs / 3);
      try {
        // Another holder may have sent from this key since our last turn: read the nonce afresh.
        this.options.signer.reset();
        return await work();
      } finally {
        clearInterval(renew);
        await this.options.store
          .releaseLease(this.holder)
          .catch((error: unknown) =>
            this.options.logger.warn({ error: String(error) }, 'publisher lease release failed'),
          );
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Takes the lease, waiting up to one lease term: a publisher that crashed holding it (its
   * lease no longer renewed) is replaced within that time; a live one keeps it.
   */
  private async waitForLease(): Promise<boolean> {
    const deadline = this.clock() + this.leaseTtlMs;
    for (;;) {
      if (await this.options.store.acquireLease(this.holder, this.leaseTtlMs)) return true;
      if (this.clock() >= deadline || this.closed) return false;
      await delay(Math.min(250, this.leaseTtlMs / 10));
    }
  }

  /** Moves one epoch's publish along until it is confirmed or failed, or retries or time run out. */
  private async drive(epoch: number): Promise<PublishRecord> {
    const deadline = this.clock() + this.options.timeoutMs;
    let failures = 0;
    for (;;) {
      if (this.closed) throw makeError(ErrorCode.EPOCH_STATE, `the publisher stopped while publishing epoch ${epoch}`);
      let record: PublishRecord | undefined;
      let progress: Progress;
      try {
        record = await this.mustGet(epoch);
        if (record.status === 'confirmed' || record.status === 'failed') return record;
        progress = record.status === 'pending' ? await this.submit(record) : await this.settle(record);
        failures = 0;
      } catch (error) {
        if (!record) {
          if (isEdgePlayError(error, ErrorCode.EPOCH_STATE)) throw error; // no such epoch
        } else if (isFinal(error)) {
          const reason = describeChainError(error, this.options.distributor.interface);
          // If recording the failure fails too, the next round meets the same refusal again.
          const recorded = await this.finish(record, { status: 'failed', error: reason }).then(
            () => true,
            () => false,
          );
          if (recorded) continue;
        }
        const reason = describeChainError(error, this.options.distributor.interface);
        failures += 1;
        if (failures > this.options.retries) return this.giveUp(epoch, reason);
        const wait = Math.min(this.options.retryDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS);
        this.log(record, epoch).warn(
          { error: reason, attempt: failures, retryInMs: wait },
          'publish step failed; retrying',
        );
        await delay(wait);
        continue;
      }
      if (progress === 'wait') {
        if (this.clock() > deadline) {
          throw makeError(
            ErrorCode.TIMEOUT,
            `epoch ${epoch}: transaction ${record.txHashes.at(-1) ?? '?'} not confirmed within ` +
              `${this.options.timeoutMs} ms; it stays submitted and is settled on the next start or close`,
          );
        }
        await delay(this.pollMs);
      }
    }
  }

  /** A pending epoch: unless the contract already has it, sign its transaction, record it, then send it. */
  private async submit(record: PublishRecord): Promise<Progress> {
    if (await this.settledOnChain(record)) return 'moved';
    const current = Number(await this.read<bigint>('currentEpoch'));
    if (current !== record.epoch - 1) {
      throw makeError(ErrorCode.EPOCH_STATE, `the contract expects epoch ${current + 1}, not ${record.epoch}`);
    }
    await this.signAndSend(record);
    return 'moved';
  }

  /** A submitted epoch: find out whether its root is on chain, and push the transaction if the node lost it. */
  private async settle(record: PublishRecord): Promise<Progress> {
    const provider = this.provider();
    for (const hash of [...record.txHashes].reverse()) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (!receipt) continue;
      if ((await receipt.confirmations()) < this.options.confirmations) return 'wait';
      if (receipt.status === 1 && (await this.rootOnChain(record.epoch)) === record.root) {
        await this.finish(record, { status: 'confirmed', blockNumber: receipt.blockNumber, error: null });
        return 'moved';
      }
      // Reverted (or mined without our root): the contract may still have the root from another transaction.
      if (await this.settledOnChain(record)) return 'moved';
      throw makeError(ErrorCode.EPOCH_STATE, `transaction ${hash} was mined but did not publish the root`);
    }
    if (await this.settledOnChain(record)) return 'moved';
    const latest = record.txHashes.at(-1);
    if (latest && (await provider.getTransaction(latest))) return 'wait'; // in the node's pool: wait for it
    if (!record.rawTx) return this.resign(record);
    try {
      await provider.broadcastTransaction(record.rawTx);
      this.log(record).info({ txHash: latest }, 'root transaction broadcast again');
    } catch (error) {
      if (isAlreadyKnown(error)) return 'wait';
      if (!isError(error, 'NONCE_EXPIRED')) throw error;
      // Its nonce is used. If our transaction took it, the next round finds the receipt;
      // otherwise another transaction did and ours can never be mined: sign a new one.
      if (latest && (await provider.getTransactionReceipt(latest))) return 'moved';
      return this.resign(record);
    }
    return 'wait';
  }

  private async resign(record: PublishRecord): Promise<Progress> {
    this.options.signer.reset();
    this.log(record).warn(
      { txHashes: record.txHashes },
      'root transaction cannot be mined any more; signing a new one',
    );
    await this.signAndSend(record);
    return 'moved';
  }

  /** Signs publishRoot with the next nonce, records `submitted` with it, and only then broadcasts. */
  private async signAndSend(record: PublishRecord): Promise<void> {
    const { signer, distributor } = this.options;
    const data = distributor.interface.encodeFunctionData('publishRoot', [record.epoch, record.root]);
    let rawTx: string;
    let nonce: number;
    try {
      nonce = await signer.getNonce('pending');
      // Estimates gas too, so a revert (wrong epoch, missing role) surfaces here, before anything is sent.
      const populated = await signer.populateTransaction({ to: await distributor.getAddress(), data, nonce });
      rawTx = await signer.signTransaction(populated);
    } catch (error) {
      signer.reset(); // the nonce it read may be stale by the next try
      throw error;
    }
    const txHash = Transaction.from(rawTx).hash as string;
    const submitted = await this.options.store.update(
      record.epoch,
      record.revision,
      { status: 'submitted', txHashes: [...record.txHashes, txHash], rawTx, nonce, error: null },
      this.clock(),
    );
    if (!submitted) {
      signer.reset();
      return; // another write came first: never broadcast what is not recorded
    }
    signer.increment();
    this.log(submitted).info({ txHash, nonce }, 'root transaction signed and recorded');
    await this.options.onStep?.('submitted', submitted);
    try {
      await this.provider().broadcastTransaction(rawTx);
    } catch (error) {
      // Whether it reached the node is unknown: settle() finds out from the receipt or the contract.
      if (!isAlreadyKnown(error)) throw error;
    }
    this.log(submitted).info({ txHash }, 'root transaction broadcast');
    await this.options.onStep?.('broadcast', submitted);
  }

  /** True (and the record confirmed or failed) when the contract already has a root for this epoch. */
  private async settledOnChain(record: PublishRecord): Promise<boolean> {
    const onChain = await this.rootOnChain(record.epoch);
    if (onChain === ZeroHash) return false;
    if (onChain === record.root) {
      await this.finish(record, { status: 'confirmed', error: null });
    } else {
      await this.finish(record, {
        status: 'failed',
        error: `the contract has another root for this epoch: ${onChain}`,
      });
    }
    return true;
  }

  private async finish(record: PublishRecord, patch: PublishPatch & { status: 'confirmed' | 'failed' }): Promise<void> {
    const done = await this.options.store.update(record.epoch, record.revision, patch, this.clock());
    if (!done) return; // another write came first: the next round reads it
    const log = this.log(done);
    if (done.status === 'confirmed') {
      log.info({ txHash: done.txHashes.at(-1), blockNumber: done.blockNumber }, 'epoch root confirmed');
    } else log.error({ error: done.error }, 'epoch publish failed');
    await this.options.onStep?.(done.status as 'confirmed' | 'failed', done);
  }

  /** Out of retries: a pending epoch (nothing signed) fails; a submitted one stays so, to be settled later. */
  private async giveUp(epoch: number, reason: string): Promise<PublishRecord> {
    const record = await this.options.store.get(epoch).catch(() => undefined);
    if (record?.status === 'pending') {
      const failed = await this.options.store.update(
        epoch,
        record.revision,
        { status: 'failed', error: `gave up after ${this.options.retries} retries: ${reason}` },
        this.clock(),
      );
      if (failed) {
        this.log(failed).error({ error: failed.error }, 'epoch publish failed');
        await this.options.onStep?.('failed', failed);
        return failed;
      }
    }
    if (record) {
      await this.options.store.update(epoch, record.revision, { error: reason }, this.clock()).catch(() => undefined);
    }
    throw makeError(
      ErrorCode.CHAIN_UNAVAILABLE,
      `epoch ${epoch}: gave up after ${this.options.retries} retries (${reason}); ` +
        'its transaction may still be mined: it stays submitted and is settled on the next start or close',
    );
  }

  private async rootOnChain(epoch: number): Promise<string> {
    return this.read<string>('rootOf', epoch);
  }

  private async read<T>(method: string, ...args: unknown[]): Promise<T> {
    return (await this.options.distributor.getFunction(method).staticCall(...args)) as T;
  }

  private async mustGet(epoch: number): Promise<PublishRecord> {
    const record = await this.options.store.get(epoch);
    if (!record) throw makeError(ErrorCode.EPOCH_STATE, `epoch ${epoch} is not recorded`);
    return record;
  }

  private provider(): Provider {
    const provider = this.options.signer.provider;
    if (!provider) throw makeError(ErrorCode.INTERNAL, 'the publisher signer has no provider');
    return provider;
  }

  private log(record: PublishRecord | undefined, epoch?: number): Logger {
    return this.options.logger.child({ epoch: record?.epoch ?? epoch });
  }
}
