import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ErrorCode, makeError } from '@edgeplay/shared';
import { createKeystore, readPasswordFile } from './keystore.js';

export const KEYGEN_USAGE = `usage: edge-node keygen [--out FILE] [--password-file FILE] [--force]

Makes a new operator key: the wallet that identifies this edge to the broker and receives
its payouts. The key is written encrypted to FILE (default
$XDG_CONFIG_HOME/edgeplay/operator-keystore.json, i.e. ~/.config/edgeplay/…).
The password comes from --password-file or EDGE_KEYSTORE_PASSWORD. Back up the file and
the password: without both the key and its unpaid rewards are lost.`;

/** Keystore passwords shorter than this are refused: the file is only as strong as its password. */
const MIN_PASSWORD_LENGTH = 8;

export interface KeygenDeps {
  /** The arguments after `keygen`. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  /** Tests only: a cheap scrypt cost (see CreateKeystoreOptions.scryptN). */
  scryptN?: number;
}

/** `edge-node keygen`; resolves to the exit code, throws a coded error for bad input. */
export async function runKeygen({ argv, env, stdout, scryptN }: KeygenDeps): Promise<number> {
  const args = parseKeygenArgs(argv);
  if (args.help) {
    stdout.write(`${KEYGEN_USAGE}\n`);
    return 0;
  }
  const out = resolve(args.out ?? defaultKeystorePath(env));
  const password = await keystorePassword(env, args.passwordFile);
  stdout.write(`Encrypting a new operator key into ${out} (scrypt; this takes a few seconds)…\n`);
  const wallet = await createKeystore(out, password, {
    ...(args.force ? { force: true } : {}),
    ...(scryptN === undefined ? {} : { scryptN }),
  });
  stdout.write(`Operator address: ${wallet.address}\n`);
  stdout.write('Back up the keystore file and its password; the private key is in no other place.\n');
  return 0;
}

/** Where keygen writes and start looks when no path is given. */
export function defaultKeystorePath(env: NodeJS.ProcessEnv): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(configHome, 'edgeplay', 'operator-keystore.json');
}

/** An explicit --password-file wins over the environment, as a flag should. */
export async function keystorePassword(env: NodeJS.ProcessEnv, passwordFile: string | undefined): Promise<string> {
  const password = passwordFile === undefined ? env.EDGE_KEYSTORE_PASSWORD : await readPasswordFile(passwordFile);
  if (password === undefined || password === '') {
    throw makeError(
      ErrorCode.INVALID_MESSAGE,
      'no keystore password: set EDGE_KEYSTORE_PASSWORD or pass --password-file',
    );
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw makeError(ErrorCode.INVALID_MESSAGE, `keystore password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return password;
}

interface KeygenArgs {
  out: string | undefined;
  passwordFile: string | undefined;
  force: boolean;
  help: boolean;
}

function parseKeygenArgs(argv: readonly string[]): KeygenArgs {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        'password-file': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { out: values.out, passwordFile: values['password-file'], force: values.force, help: values.help };
  } catch (error) {
    // A stray positional might be a password typed in the wrong place: do not echo it.
    const positional = (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
    const reason = positional ? 'keygen takes no positional arguments' : (error as Error).message;
    throw makeError(ErrorCode.INVALID_MESSAGE, `${reason}\n${KEYGEN_USAGE}`);
  }
}
