import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { defaultKeystorePath, runKeygen } from '../src/identity/keygen-command.js';
import { loadKeystore } from '../src/identity/keystore.js';

const password = 'operator-password-1';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-keygen-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keygen(argv: string[], env: NodeJS.ProcessEnv = { EDGE_KEYSTORE_PASSWORD: password }) {
  let output = '';
  const code = await runKeygen({ argv, env, stdout: { write: (text: string) => (output += text) }, scryptN: 2 ** 10 });
  return { code, output };
}

describe('edge-node keygen', () => {
  it('writes a keystore and prints the operator address, never the key or the password', async () => {
    const out = join(dir, 'operator.json');
    const { code, output } = await keygen(['--out', out]);
    expect(code).toBe(0);
    const wallet = await loadKeystore(out, password);
    expect(output).toContain(wallet.address);
    expect(output.toLowerCase()).not.toContain(wallet.privateKey.slice(2).toLowerCase());
    expect(output).not.toContain(password);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('takes the password from --password-file before the environment', async () => {
    const out = join(dir, 'from-file.json');
    const passwordFile = join(dir, 'password.txt');
    await writeFile(passwordFile, 'password-from-file\n');
    await keygen(['--out', out, '--password-file', passwordFile]);
    await expect(loadKeystore(out, 'password-from-file')).resolves.toBeDefined();
    await expect(loadKeystore(out, password)).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
  });

  it('writes to ~/.config/edgeplay/operator-keystore.json by default', async () => {
    const home = join(dir, 'home');
    const env = { HOME: home, EDGE_KEYSTORE_PASSWORD: password };
    expect(defaultKeystorePath(env)).toBe(join(home, '.config', 'edgeplay', 'operator-keystore.json'));
    const { output } = await keygen([], env);
    const wallet = await loadKeystore(defaultKeystorePath(env), password);
    expect(output).toContain(wallet.address);
    expect(defaultKeystorePath({ ...env, XDG_CONFIG_HOME: join(dir, 'xdg') })).toBe(
      join(dir, 'xdg', 'edgeplay', 'operator-keystore.json'),
    );
  });

  it('will not replace an existing keystore without --force', async () => {
    const out = join(dir, 'twice.json');
    const first = await keygen(['--out', out]);
    await expect(keygen(['--out', out])).rejects.toMatchObject({ code: ErrorCode.KEYSTORE_EXISTS });
    const second = await keygen(['--out', out, '--force']);
    expect(second.output).not.toBe(first.output);
  });

  it('refuses to run without a password, or with a short one', async () => {
    const out = join(dir, 'no-password.json');
    await expect(keygen(['--out', out], {})).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
    await expect(keygen(['--out', out], { EDGE_KEYSTORE_PASSWORD: 'short' })).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
    });
    await expect(keygen(['--out', out, '--password-file', join(dir, 'absent.txt')])).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
    });
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers unknown options with usage, and does not echo a stray argument', async () => {
    await expect(keygen(['--password', 'hunter2hunter2'])).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringContaining('usage: edge-node keygen') as unknown,
    });
    const stray = await keygen(['hunter2hunter2']).catch((error: unknown) => error as Error);
    expect(stray).toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
    expect((stray as Error).message).not.toContain('hunter2');
  });

  it('prints usage for --help', async () => {
    const { code, output } = await keygen(['--help']);
    expect(code).toBe(0);
    expect(output).toContain('usage: edge-node keygen');
  });
});
