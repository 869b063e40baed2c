import { createPrivateKey, createPublicKey, randomFillSync, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TicketPayloadSchema, type TicketPayload } from '@edgeplay/shared';
import { exportPublicKey, generateTicketKeyPair, readSignedTicket } from '@edgeplay/shared/node';
import { SignWorker } from './sign-worker.js';

/** A nonce is 16 random bytes, as newTicketNonce makes them. */
const NONCE_BYTES = 16;
/** Random bytes drawn at a time: one getrandom per 256 tickets instead of one per ticket. */
const NONCE_POOL_BYTES = NONCE_BYTES * 256;

/** What a ticket grants: a session (its slot is reserved already) on an edge, to the holder of playerKey. */
export interface TicketGrant {
  sessionId: string;
  edgeId: string;
  titleId: string;
  playerKey: string;
}

export interface TicketIssuerOptions {
  /** Sign on a worker thread (what the broker does); tickets signed inline otherwise. */
  signOnWorker?: boolean;
  /** Told when the worker fails; tickets are then signed inline, so no placement fails for it. */
  onWorkerFailure?: (error: Error) => void;
}

interface Pending {
  body: string;
  resolve: (ticket: string) => void;
}

/**
 * The first half of a ticket: base64url of the checked payload's JSON, exactly as
 * signTicket (shared/src/node/ticket-signing.ts) makes it; the second half is the
 * Ed25519 signature of this text. verifyTicket checks tickets from here in the tests.
 */
function ticketBody(payload: TicketPayload): string {
  return Buffer.from(JSON.stringify(TicketPayloadSchema.parse(payload))).toString('base64url');
}

/**
 * Signs session tickets with the broker's Ed25519 key. With a worker, the tickets asked
 * for in one turn of the event loop go to it as one batch.
 */
export class TicketIssuer {
  readonly publicKeyBase64: string;
  private readonly publicKey: KeyObject;

  private readonly noncePool = Buffer.alloc(NONCE_POOL_BYTES);
  private nonceOffset = NONCE_POOL_BYTES;
  private pending: Pending[] = [];

  private constructor(
    private readonly privateKey: KeyObject,
    readonly ttlMs: number,
    private readonly worker: SignWorker | undefined,
    private readonly onWorkerFailure: ((error: Error) => void) | undefined,
  ) {
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyBase64 = exportPublicKey(this.publicKey);
  }

  /** Loads the key from a PEM file, or makes a fresh one for this run. */
  static async create(
    keyFile: string | undefined,
    ttlMs: number,
    options: TicketIssuerOptions = {},
  ): Promise<TicketIssuer> {
    const privateKey = keyFile ? createPrivateKey(await readFile(keyFile, 'utf8')) : generateTicketKeyPair().privateKey;
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('BROKER_KEY_FILE must hold an Ed25519 private key');
    const worker = options.signOnWorker ? await SignWorker.start(privateKey) : undefined;
    return new TicketIssuer(privateKey, ttlMs, worker, options.onWorkerFailure);
  }

  /** The signed ticket for the grant, good for ttlMs from now. */
  issue({ sessionId, edgeId, titleId, playerKey }: TicketGrant, now = Date.now()): Promise<string> {
    const body = ticketBody({
      v: 1,
      sessionId,
      edgeId,
      titleId,
      playerKey,
      iat: now,
      exp: now + this.ttlMs,
      nonce: this.nextNonce(),
    });
    if (!this.worker || this.worker.broken) return Promise.resolve(this.signInline(body));
    return new Promise((resolve) => {
      if (this.pending.push({ body, resolve }) === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * The payload of a ticket this key signed, expired or not (TICKET_INVALID for any other):
   * whose session it names, for a page that proves it holds the ticket's player key.
   */
  read(ticket: unknown): TicketPayload {
    return readSignedTicket(ticket, this.publicKey);
  }

  /** Stops the signing worker, if any; resolves once its thread has exited. Idempotent. */
  async close(): Promise<void> {
    await this.worker?.close();
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const worker = this.worker;
    if (!worker) return;
    worker.sign(batch.map((ticket) => ticket.body)).then(
      (signatures) => batch.forEach(({ body, resolve }, i) => resolve(`${body}.${signatures[i] ?? ''}`)),
      (error: unknown) => {
        this.onWorkerFailure?.(error instanceof Error ? error : new Error(String(error)));
        for (const { body, resolve } of batch) resolve(this.signInline(body));
      },
    );
  }

  private signInline(body: string): string {
    return `${body}.${sign(null, Buffer.from(body), this.privateKey).toString('base64url')}`;
  }

  /** 16 fresh random bytes, base64url: each pool byte is handed out once. */
  private nextNonce(): string {
    if (this.nonceOffset === NONCE_POOL_BYTES) {
      randomFillSync(this.noncePool);
      this.nonceOffset = 0;
    }
    const start = this.nonceOffset;
    this.nonceOffset += NONCE_BYTES;
    return this.noncePool.toString('base64url', start, this.nonceOffset);
  }
}
