import { createPrivateKey, createPublicKey, randomFillSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exportPublicKey, generateTicketKeyPair, signTicket } from '@edgeplay/shared/node';

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

/** Signs session tickets with the broker's Ed25519 key. */
export class TicketIssuer {
  readonly publicKeyBase64: string;

  private readonly noncePool = Buffer.alloc(NONCE_POOL_BYTES);
  private nonceOffset = NONCE_POOL_BYTES;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly ttlMs: number,
  ) {
    this.publicKeyBase64 = exportPublicKey(createPublicKey(privateKey));
  }

  /** Loads the key from a PEM file, or makes a fresh one for this run. */
  static async create(keyFile: string | undefined, ttlMs: number): Promise<TicketIssuer> {
    const privateKey = keyFile ? createPrivateKey(await readFile(keyFile, 'utf8')) : generateTicketKeyPair().privateKey;
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('BROKER_KEY_FILE must hold an Ed25519 private key');
    return new TicketIssuer(privateKey, ttlMs);
  }

  /** The signed ticket for the grant, good for ttlMs from now. */
  issue({ sessionId, edgeId, titleId, playerKey }: TicketGrant, now = Date.now()): string {
    return signTicket(
      { v: 1, sessionId, edgeId, titleId, playerKey, iat: now, exp: now + this.ttlMs, nonce: this.nextNonce() },
      this.privateKey,
    );
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
