import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '../src/index.js';
import {
  createSessionKey,
  exportSessionPublicKey,
  importSessionPublicKey,
  signWithSessionKey,
  verifySessionSignature,
} from '../src/node/index.js';

const now = 1_800_000_000_000;
const message = Buffer.from('usage receipt: session s-1, minute 7');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isEdgePlayError(error) ? error.code : 'NOT_CODED';
  }
  return undefined;
}

describe('session signer', () => {
  it('makes a key with a raw 32-byte public key and an expiry', () => {
    const key = createSessionKey(60_000, now);
    expect(key.publicKeyRaw).toMatch(/^0x[0-9a-f]{64}$/);
    expect(key.expiresAt).toBe(now + 60_000);
    expect(createSessionKey(60_000, now).publicKeyRaw).not.toBe(key.publicKeyRaw);
  });

  it('signs and verifies, also with the public key rebuilt from its raw form', () => {
    const key = createSessionKey(60_000, now);
    const signature = signWithSessionKey(key, message);
    expect(signature).toHaveLength(64);
    expect(verifySessionSignature(key.publicKey, message, signature)).toBe(true);
    const received = importSessionPublicKey(key.publicKeyRaw);
    expect(verifySessionSignature(received, message, signature)).toBe(true);
    expect(exportSessionPublicKey(received)).toBe(key.publicKeyRaw);
  });

  it('refuses a changed message, another key, and a mangled or short signature', () => {
    const key = createSessionKey(60_000, now);
    const signature = signWithSessionKey(key, message);
    expect(verifySessionSignature(key.publicKey, Buffer.from('usage receipt: session s-1, minute 8'), signature)).toBe(
      false,
    );
    expect(verifySessionSignature(createSessionKey(60_000, now).publicKey, message, signature)).toBe(false);
    const flipped = Buffer.from(signature);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(verifySessionSignature(key.publicKey, message, flipped)).toBe(false);
    expect(verifySessionSignature(key.publicKey, message, signature.subarray(0, 63))).toBe(false);
    expect(verifySessionSignature(key.publicKey, message, Buffer.concat([signature, Buffer.from([0])]))).toBe(false);
  });

  it('keeps the private key out of logs', () => {
    const key = createSessionKey(60_000, now);
    const secret = key.privateKey.export({ format: 'jwk' }).d ?? '';
    expect(secret).not.toBe('');
    expect(JSON.stringify(key)).not.toContain(secret);
    expect(inspect(key, { depth: 5 })).not.toContain(secret);
  });

  it.each(['', '0x', '0x1234', `0x${'ab'.repeat(33)}`, `${'ab'.repeat(32)}`, `0x${'zz'.repeat(32)}`])(
    'will not import %j as a session key',
    (raw) => {
      expect(codeOf(() => importSessionPublicKey(raw))).toBe(ErrorCode.INVALID_MESSAGE);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('refuses a lifetime of %s ms', (lifetime) => {
    expect(() => createSessionKey(lifetime, now)).toThrow(RangeError);
  });
});
