import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { exportPublicKey, generateTicketKeyPair, newTicketNonce, signTicket } from '@edgeplay/shared/node';

export interface IssuedTicket {
  sessionId: string;
  ticket: string;
}

/** Signs session tickets with the broker's Ed25519 key. */
export class TicketIssuer {
  readonly publicKeyBase64: string;

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

  issue(edgeId: string, titleId: string, playerKey: string, now = Date.now()): IssuedTicket {
    const sessionId = randomUUID();
    const ticket = signTicket(
      { v: 1, sessionId, edgeId, titleId, playerKey, iat: now, exp: now + this.ttlMs, nonce: newTicketNonce() },
      this.privateKey,
    );
    return { sessionId, ticket };
  }
}
