import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/*
 * Ed25519 signing on a thread of its own. Signing a ticket was the largest single cost
 * of a placement on the broker's event loop (~40 % of its busy time with the memory
 * store, bench profile); on a second core it no longer delays other requests. The
 * worker's code is a few lines of plain JavaScript run with `eval`, so it starts the
 * same under tsx, vitest or a build, and holds nothing but the key.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', ({ id, bodies }) => {
  const signatures = bodies.map((body) => sign(null, Buffer.from(body), workerData.privateKey).toString('base64url'));
  parentPort.postMessage({ id, signatures });
});
`;

interface Batch {
  resolve: (signatures: string[]) => void;
  reject: (error: Error) => void;
}

/** A worker thread that signs batches of ticket bodies with one private key. */
export class SignWorker {
  private readonly batches = new Map<number, Batch>();
  private nextId = 0;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: { id: number; signatures: string[] }) => {
      this.batches.get(message.id)?.resolve(message.signatures);
      this.batches.delete(message.id);
    });
    worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    void this.exited.then(() => this.fail(new Error('ticket signing worker exited')));
  }

  /** Starts the thread; resolves once it is running. */
  static async start(privateKey: KeyObject): Promise<SignWorker> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { privateKey } });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    return new SignWorker(worker);
  }

  /** Why the worker cannot sign any more (it crashed or was closed); undefined while it works. */
  get broken(): Error | undefined {
    return this.failure;
  }

  /** The base64url Ed25519 signature of each body, in order. */
  sign(bodies: string[]): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.batches.set(id, { resolve, reject });
      this.worker.postMessage({ id, bodies });
    });
  }

  /** Stops the thread; resolves once it has exited. Batches still out are refused. */
  async close(): Promise<void> {
    this.fail(new Error('ticket signing worker closed'));
    await this.worker.terminate();
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const batch of this.batches.values()) batch.reject(this.failure);
    this.batches.clear();
  }
}
