import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Wallet, decryptKeystoreJson, encryptKeystoreJson, isError, type KeystoreAccount } from 'ethers';
import { z } from 'zod';
import { ErrorCode, makeError } from '@edgeplay/shared';

/*
 * The operator key at rest: a standard Ethereum v3 JSON keystore (scrypt + AES-128-CTR), so
 * operators can open it with any wallet tool. Passwords and keys never appear in an error.
 */

export interface CreateKeystoreOptions {
  /** Replace a keystore already at the path (its key is lost unless backed up). */
  force?: boolean;
  /**
   * scrypt cost (a power of two). Leave unset in production: ethers' default (2^17, ~1–2 s
   * here) is what makes guessing the password of a stolen file expensive, and it is paid only
   * at keygen and start. Tests pass a low N so they run in milliseconds.
   */
  scryptN?: number;
}

export async function createKeystore(
  path: string,
  password: string,
  options: CreateKeystoreOptions = {},
): Promise<Wallet> {
  if (password.length === 0) throw makeError(ErrorCode.INVALID_MESSAGE, 'keystore password must not be empty');
  // Checked before the slow encryption so an accidental re-run fails at once.
  if (!options.force && (await exists(path))) throw alreadyThere(path);
  // createRandom gives an HD wallet; a plain one keeps the file to the key alone.
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  const account: KeystoreAccount = { address: wallet.address, privateKey: wallet.privateKey };
  const json = await encryptKeystoreJson(
    account,
    password,
    options.scryptN === undefined ? {} : { scrypt: { N: options.scryptN } },
  );
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (options.force) await replaceFile(path, json);
  else await writeNewFile(path, json);
  return wallet;
}

export async function loadKeystore(path: string, password: string): Promise<Wallet> {
  let json: string;
  try {
    json = await readFile(path, 'utf8');
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) {
      throw makeError(ErrorCode.KEYSTORE_NOT_FOUND, `no keystore at ${path} (make one with \`edge-node keygen\`)`);
    }
    throw error;
  }
  checkShape(path, json);
  let account: KeystoreAccount;
  try {
    account = await decryptKeystoreJson(json, password);
  } catch (error) {
    if (isError(error, 'INVALID_ARGUMENT') && error.argument === 'password') {
      throw makeError(ErrorCode.UNAUTHORIZED, `wrong password for keystore ${path}`);
    }
    throw corrupt(path, 'it does not decrypt to a key');
  }
  return new Wallet(account.privateKey);
}

/** Reads a password file as `echo secret > file` writes it: one trailing newline is not part of it. */
export async function readPasswordFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) throw makeError(ErrorCode.INVALID_MESSAGE, `no password file at ${path}`);
    throw error;
  }
}

/** Bounds the work a file may ask for, so a damaged or hostile file cannot hang start-up for minutes. */
const MAX_SCRYPT_N = 2 ** 20;

const KeystoreShapeSchema = z.looseObject({
  version: z.literal(3),
  crypto: z.looseObject({
    kdf: z.literal('scrypt'),
    kdfparams: z.looseObject({
      n: z.int().min(2).max(MAX_SCRYPT_N),
      r: z.int().min(1).max(16),
      p: z.int().min(1).max(16),
    }),
  }),
});

function checkShape(path: string, json: string): void {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw corrupt(path, 'it is not JSON');
  }
  if (!KeystoreShapeSchema.safeParse(withLowercaseKeys(data)).success) {
    throw corrupt(path, 'it is not a v3 scrypt keystore with n ≤ 2^20');
  }
}

/** ethers writes "Crypto", geth "crypto", and both read either; so do we. */
function withLowercaseKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), withLowercaseKeys(inner)]));
}

/** Exclusive create: fails if the file appeared since the early check. */
async function writeNewFile(path: string, json: string): Promise<void> {
  try {
    await writeFile(path, json, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (isNodeError(error, 'EEXIST')) throw alreadyThere(path);
    throw error;
  }
  await chmod(path, 0o600); // in case the umask took away owner bits
}

/** Write beside, then rename: a crash leaves the old key or the new one, never half a file. */
async function replaceFile(path: string, json: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, json, { flag: 'wx', mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return false;
    throw error;
  }
}

function alreadyThere(path: string) {
  return makeError(ErrorCode.KEYSTORE_EXISTS, `a keystore already exists at ${path}; pass --force to replace it`);
}

function corrupt(path: string, why: string) {
  return makeError(ErrorCode.INVALID_MESSAGE, `keystore ${path} is corrupt: ${why}`);
}

function isNodeError(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
