import { access } from 'node:fs/promises';
import { isEdgePlayError, ErrorCode } from '@edgeplay/shared';
import type { EdgeConfig } from '../config.js';
import { defaultKeystorePath } from '../identity/keygen-command.js';
import { loadOperatorWallet } from '../identity/operator-wallet.js';
import { fail, ok, type CheckResult } from './check-result.js';

/**
 * The operator wallet: the keystore file is there and, when a password is configured,
 * unlocks. Without a password (an operator may keep it out of the shell they run doctor in)
 * only its presence is checked, and the line says so.
 */
export async function checkKeystore(config: EdgeConfig, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const name = 'operator keystore';
  const path = config.keystorePath ?? defaultKeystorePath(env);
  try {
    await access(path);
  } catch {
    return fail(
      'keystore',
      name,
      `no keystore at ${path}: the node cannot prove who runs it, so the broker will not take it`,
      'make one with "edge-node keygen" (and back it up), or set EDGE_KEYSTORE to where yours is.',
    );
  }
  const passwordConfigured =
    Boolean(config.keystorePassword) ||
    Boolean(env.EDGE_KEYSTORE_PASSWORD) ||
    config.keystorePasswordFile !== undefined;
  if (!passwordConfigured) {
    return ok(
      'keystore',
      name,
      `${path} is present (not unlocked: no EDGE_KEYSTORE_PASSWORD or EDGE_KEYSTORE_PASSWORD_FILE here, and start needs one)`,
    );
  }
  try {
    const wallet = await loadOperatorWallet(config, env);
    return ok('keystore', name, `${path} unlocks: operator ${wallet.address}`);
  } catch (error) {
    const message = (error as Error).message;
    const fix =
      isEdgePlayError(error, ErrorCode.UNAUTHORIZED) || /password/i.test(message)
        ? 'set EDGE_KEYSTORE_PASSWORD (or EDGE_KEYSTORE_PASSWORD_FILE) to the password it was made with.'
        : 'restore the keystore from your backup, or make a new one with "edge-node keygen --force" (a new key is a new operator address).';
    return fail('keystore', name, message, fix);
  }
}
