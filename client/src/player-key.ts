/**
 * The player's Ed25519 key for one session, made with WebCrypto (needs a secure context:
 * https, or http on localhost). The broker binds the session's ticket to its public key;
 * the private key never leaves the page and cannot be exported.
 */
export interface PlayerKey {
  /** Raw 32-byte public key, 0x + lowercase hex. */
  publicKeyHex: string;
  /** Ed25519 signature over the UTF-8 bytes of `message`, 0x + lowercase hex. */
  sign(message: string): Promise<string>;
}

const toHex = (bytes: ArrayBuffer): string =>
  `0x${Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('')}`;

export async function createPlayerKey(): Promise<PlayerKey> {
  if (!globalThis.crypto?.subtle) {
    throw new Error('this page needs a secure context (https) to make its session key');
  }
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKeyHex = toHex(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {
    publicKeyHex,
    async sign(message) {
      return toHex(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, new TextEncoder().encode(message)));
    },
  };
}
