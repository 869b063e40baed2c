import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { createKeystore, loadKeystore, readPasswordFile } from '../src/identity/keystore.js';

// 2^10 instead of ethers' 2^17: the same format, a thousandth of the work.
const fast = { scryptN: 2 ** 10 };
const password = 'correct horse battery staple';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-keystore-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('operator keystore', () => {
  it('round-trips: the loaded wallet is the one created', async () => {
    const path = join(dir, 'round-trip.json');
    const created = await createKeystore(path, password, fast);
    const loaded = await loadKeystore(path, password);
    expect(loaded.address).toBe(created.address);
    expect(loaded.privateKey).toBe(created.privateKey);
    const json = JSON.parse(await readFile(path, 'utf8')) as { version: number; address: string };
    expect(json.version).toBe(3);
    expect(`0x${json.address}`.toLowerCase()).toBe(created.address.toLowerCase());
    expect(await readFile(path, 'utf8')).not.toContain(created.privateKey.slice(2));
  });

  it('reads a keystore spelled the way geth writes it ("crypto", not "Crypto")', async () => {
    const path = join(dir, 'geth-style.json');
    const created = await createKeystore(path, password, fast);
    const { Crypto, ...rest } = JSON.parse(await readFile(path, 'utf8')) as { Crypto: unknown };
    await writeFile(path, JSON.stringify({ ...rest, crypto: Crypto }));
    expect((await loadKeystore(path, password)).address).toBe(created.address);
  });

  it('writes the file readable by its owner only, in a folder it creates', async () => {
    const path = join(dir, 'nested', 'config', 'keystore.json');
    await createKeystore(path, password, fast);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o077).toBe(0);
  });

  it('refuses to overwrite an existing keystore, and replaces it with force', async () => {
    const path = join(dir, 'no-overwrite.json');
    const first = await createKeystore(path, password, fast);
    await expect(createKeystore(path, password, fast)).rejects.toMatchObject({ code: ErrorCode.KEYSTORE_EXISTS });
    expect((await loadKeystore(path, password)).address).toBe(first.address);

    const second = await createKeystore(path, password, { ...fast, force: true });
    expect(second.address).not.toBe(first.address);
    expect((await loadKeystore(path, password)).address).toBe(second.address);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('also keeps mode 0600 when force replaces a file that was world-readable', async () => {
    const path = join(dir, 'loose.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await createKeystore(path, password, { ...fast, force: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('says so when the password is wrong, without echoing either password', async () => {
    const path = join(dir, 'wrong-password.json');
    await createKeystore(path, password, fast);
    const failure = await loadKeystore(path, 'not the password').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(String((failure as Error).message)).not.toMatch(/horse|not the password/);
  });

  it('says so when there is no keystore', async () => {
    await expect(loadKeystore(join(dir, 'absent.json'), password)).rejects.toMatchObject({
      code: ErrorCode.KEYSTORE_NOT_FOUND,
      message: expect.stringContaining('edge-node keygen') as unknown,
    });
  });

  it.each<[string, (json: Record<string, unknown> & { Crypto: Record<string, unknown> }) => string]>([
    ['not JSON', () => '{"version": 3, "crypto": '],
    ['empty', () => ''],
    ['another format', () => JSON.stringify({ hello: 'world' })],
    ['a damaged ciphertext field', (json) => JSON.stringify({ ...json, Crypto: { ...json.Crypto, ciphertext: 'zz' } })],
    ['an address that is not the key’s', (json) => JSON.stringify({ ...json, address: '00'.repeat(20) })],
    [
      'an absurd scrypt cost',
      (json) =>
        JSON.stringify({
          ...json,
          Crypto: { ...json.Crypto, kdfparams: { ...(json.Crypto.kdfparams as object), n: 2 ** 30 } },
        }),
    ],
  ])('says the file is corrupt when it is %s', async (_what, damage) => {
    const good = join(dir, 'good-for-damage.json');
    await createKeystore(good, password, { ...fast, force: true });
    const path = join(dir, 'corrupt.json');
    await writeFile(path, damage(JSON.parse(await readFile(good, 'utf8'))));
    await expect(loadKeystore(path, password)).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringContaining('corrupt') as unknown,
    });
  });

  it('refuses an empty password', async () => {
    await expect(createKeystore(join(dir, 'empty.json'), '', fast)).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
    });
  });

  it('reads a password file without its trailing newline', async () => {
    const path = join(dir, 'password.txt');
    await writeFile(path, `${password}\n`);
    expect(await readPasswordFile(path)).toBe(password);
    await writeFile(path, ` spaced \r\n`);
    expect(await readPasswordFile(path)).toBe(' spaced ');
  });
});
