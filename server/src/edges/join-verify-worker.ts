import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ErrorCode, isEdgePlayError, makeError } from '@edgeplay/shared';
import { edgeJoinTypes, joinProofDomain, recoverJoinSigner, type JoinRecovery } from '@edgeplay/shared/node';

/*
 * The EIP-712 signer recovery of an edge's join proof (~2 ms of secp256k1 in JavaScript) on a
 * thread of its own. Once per join that is nothing, but a broker restart makes every edge of
 * the network join again within seconds: 10,000 edges were 20 s of the broker's event loop,
 * while players waited for their answers. The worker's code is a few lines of plain JavaScript
 * run with `eval` (it starts the same under tsx, vitest or a build); it loads ethers from the
 * path the broker resolved, and is given the domain and types with each proof, so they have
 * one definition (shared/src/identity/join-proof.ts).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { verifyTypedData } = require(workerData.ethers);
parentPort.on('message', ({ id, domain, types, value, signature }) => {
  try {
    parentPort.postMessage({ id, signer: verifyTypedData(domain, types, value, signature) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  resolve: (signer: string) => void;
  reject: (error: Error) => void;
}

type Answer = { id: number; signer: string } | { id: number; error: string };

/** Recovers join-proof signers on a worker thread; on the event loop once the worker has failed. */
export class JoinVerifyWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: Error) => void,
  ) {
    worker.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiting) return;
      if ('signer' in answer) waiting.resolve(answer.signer);
      else waiting.reject(makeError(ErrorCode.UNAUTHORIZED, 'join proof signature does not verify'));
    });
    worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    void this.exited.then(() => this.fail(new Error('join verifying worker exited')));
  }

  /** Starts the thread; resolves once it runs. `onFailure` hears once if it stops working. */
  static async start(onFailure: (error: Error) => void = () => undefined): Promise<JoinVerifyWorker> {
    const ethers = createRequire(import.meta.url).resolve('ethers');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ethers } });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    return new JoinVerifyWorker(worker, onFailure);
  }

  /** Who signed the proof's fields (UNAUTHORIZED when the signature recovers no one). */
  recover(recovery: JoinRecovery): Promise<string> {
    if (this.failure) return Promise.resolve().then(() => recoverJoinSigner(recovery));
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({
        id,
        domain: joinProofDomain(recovery.chainId),
        types: edgeJoinTypes(),
        value: recovery.signed,
        signature: recovery.signature,
      });
    }).catch((error: unknown) => {
      // The worker died with this proof still out: check it here rather than refuse the edge.
      if (this.failure && !isEdgePlayError(error)) return recoverJoinSigner(recovery);
      throw error;
    });
  }

  /** Stops the thread; resolves once it has exited. Proofs still out are checked on the event loop. */
  async close(): Promise<void> {
    this.fail(new Error('join verifying worker closed'), false);
    await this.worker.terminate();
    await this.exited;
  }

  private fail(error: Error, tell = true): void {
    if (this.failure) return;
    this.failure = error;
    if (tell) this.onFailure(error);
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
