import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh key: shown to the studio once; only `keyHash` is stored. */
export interface NewApiKey {
  apiKey: string;
  keyId: string;
  keyHash: string;
}

/** 32 random bytes as `eps_<base64url>` (StudioApiKeySchema), with a public id and its digest. */
export function newApiKey(): NewApiKey {
  const apiKey = `eps_${randomBytes(32).toString('base64url')}`;
  return { apiKey, keyId: randomBytes(8).toString('hex'), keyHash: hashApiKey(apiKey) };
}

/** SHA-256, hex: what the store looks keys up by. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header ?? '');
  return match?.[1];
}

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
