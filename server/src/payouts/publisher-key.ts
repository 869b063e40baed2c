import { readFile } from 'node:fs/promises';
import { Wallet } from 'ethers';
import { ErrorCode, makeError } from '@edgeplay/shared';
import type { PayoutConfig } from './payout-config.js';

/**
 * The publisher's wallet, from PUBLISHER_KEY_FILE (a hex private key) or an encrypted keystore
 * (PUBLISHER_KEYSTORE_FILE + PUBLISHER_KEYSTORE_PASSWORD_FILE); undefined when neither is set,
 * i.e. this broker serves earnings but does not publish. The key never appears in an error.
 */
export async function loadPublisherWallet(config: PayoutConfig): Promise<Wallet | undefined> {
  if (config.publisherKeyFile) {
    const text = (await readSecret(config.publisherKeyFile, 'PUBLISHER_KEY_FILE')).trim();
    const hex = text.startsWith('0x') ? text : `0x${text}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
      throw makeError(
        ErrorCode.INVALID_MESSAGE,
        `PUBLISHER_KEY_FILE ${config.publisherKeyFile}: not a 32-byte hex key`,
      );
    }
    return new Wallet(hex);
  }
  if (config.publisherKeystoreFile && config.publisherKeystorePasswordFile) {
    const json = await readSecret(config.publisherKeystoreFile, 'PUBLISHER_KEYSTORE_FILE');
    const password = (
      await readSecret(config.publisherKeystorePasswordFile, 'PUBLISHER_KEYSTORE_PASSWORD_FILE')
    ).replace(/\r?\n$/, '');
    try {
      const wallet = await Wallet.fromEncryptedJson(json, password);
      return new Wallet(wallet.privateKey);
    } catch {
      throw makeError(
        ErrorCode.UNAUTHORIZED,
        `PUBLISHER_KEYSTORE_FILE ${config.publisherKeystoreFile}: wrong password or not a keystore`,
      );
    }
  }
  return undefined;
}

async function readSecret(path: string, name: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw makeError(ErrorCode.INVALID_MESSAGE, `${name} ${path}: cannot read it (${code})`);
  }
}
