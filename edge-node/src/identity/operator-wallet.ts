import type { Wallet } from 'ethers';
import type { EdgeConfig } from '../config.js';
import { defaultKeystorePath, keystorePassword } from './keygen-command.js';
import { loadKeystore } from './keystore.js';

/**
 * The operator wallet this node joins the broker with, from the configured keystore
 * (EDGE_KEYSTORE, default ~/.config/edgeplay/operator-keystore.json) and its password.
 */
export async function loadOperatorWallet(config: EdgeConfig, env: NodeJS.ProcessEnv = process.env): Promise<Wallet> {
  const path = config.keystorePath ?? defaultKeystorePath(env);
  const password = await keystorePassword(
    config.keystorePassword === undefined ? env : { ...env, EDGE_KEYSTORE_PASSWORD: config.keystorePassword },
    config.keystorePasswordFile,
  );
  return loadKeystore(path, password);
}
