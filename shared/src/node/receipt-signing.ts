import { receiptSigningMessage, type SignedReceipt, type UsageReceipt } from '../protocol/receipt.js';
import {
  importSessionPublicKey,
  signWithSessionKey,
  verifySessionSignature,
  type SessionKey,
} from '../identity/session-signer.js';

/** Signs a receipt with an Ed25519 session key (the edge's, or a test's stand-in for a page). */
export function signReceipt(
  key: Pick<SessionKey, 'privateKey' | 'publicKeyRaw'>,
  receipt: UsageReceipt,
): SignedReceipt {
  const signature = signWithSessionKey(key, Buffer.from(receiptSigningMessage(receipt)));
  return { receipt, signer: key.publicKeyRaw, signature: `0x${signature.toString('hex')}` };
}

/** True when `signature` is `signer`'s over the receipt's signing message; never throws for peer input. */
export function verifyReceiptSignature(signed: SignedReceipt): boolean {
  const message = Buffer.from(receiptSigningMessage(signed.receipt));
  return verifySessionSignature(
    importSessionPublicKey(signed.signer),
    message,
    Buffer.from(signed.signature.slice(2), 'hex'),
  );
}
