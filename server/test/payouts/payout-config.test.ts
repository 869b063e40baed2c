import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { describePayoutConfig, loadPayoutConfig } from '../../src/payouts/payout-config.js';
import { loadPublisherWallet } from '../../src/payouts/publisher-key.js';

const DISTRIBUTOR = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const BASE = { CHAIN_RPC_URL: 'https://rpc.example/v3/secret-api-key', REWARD_DISTRIBUTOR_ADDRESS: DISTRIBUTOR };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-payout-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('broker payout configuration', () => {
  it('is off without CHAIN_RPC_URL, and takes documented defaults with it', () => {
    expect(loadPayoutConfig({})).toBeUndefined();
    expect(loadPayoutConfig(BASE)).toEqual({
      rpcUrl: BASE.CHAIN_RPC_URL,
      distributorAddress: DISTRIBUTOR,
      confirmations: 1,
      publishRetries: 8,
      publishRetryDelayMs: 1_000,
      publishTimeoutMs: 300_000,
    });
  });

  it('names every bad variable', () => {
    const bad = () =>
      loadPayoutConfig({
        ...BASE,
        REWARD_DISTRIBUTOR_ADDRESS: '0x1234',
        CONFIRMATIONS: '0',
        ADMIN_TOKEN: 'short',
        PUBLISHER_KEY_FILE: '/a',
        PUBLISHER_KEYSTORE_FILE: '/b',
      });
    expect(bad).toThrow(/REWARD_DISTRIBUTOR_ADDRESS: .*CONFIRMATIONS: .*ADMIN_TOKEN: ADMIN_TOKEN must be at least 16/);
    expect(() => loadPayoutConfig({ ...BASE, PUBLISHER_KEYSTORE_FILE: '/b' })).toThrow(
      /PUBLISHER_KEYSTORE_FILE needs PUBLISHER_KEYSTORE_PASSWORD_FILE/,
    );
    expect(() =>
      loadPayoutConfig({
        ...BASE,
        PUBLISHER_KEY_FILE: '/a',
        PUBLISHER_KEYSTORE_FILE: '/b',
        PUBLISHER_KEYSTORE_PASSWORD_FILE: '/c',
      }),
    ).toThrow(/not both/);
  });

  it('never logs the admin token or the RPC URL’s path', () => {
    const described = JSON.stringify(
      describePayoutConfig(loadPayoutConfig({ ...BASE, ADMIN_TOKEN: 'a-very-secret-admin-token' })),
    );
    expect(described).not.toContain('secret');
    expect(described).toContain('https://rpc.example/…');
  });

  it('reads the publisher key from a key file or an encrypted keystore, never echoing it', async () => {
    const wallet = Wallet.createRandom();
    const keyFile = join(dir, 'publisher.key');
    await writeFile(keyFile, `${wallet.privateKey.slice(2)}\n`);
    expect((await loadPublisherWallet({ ...loadPayoutConfig(BASE)!, publisherKeyFile: keyFile }))?.address).toBe(
      wallet.address,
    );

    const keystore = join(dir, 'publisher.json');
    const passwordFile = join(dir, 'password');
    await writeFile(
      keystore,
      await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, 'publisher-password', {
        scrypt: { N: 2 ** 10 },
      }),
    );
    await writeFile(passwordFile, 'publisher-password\n');
    const fromKeystore = {
      ...loadPayoutConfig(BASE)!,
      publisherKeystoreFile: keystore,
      publisherKeystorePasswordFile: passwordFile,
    };
    expect((await loadPublisherWallet(fromKeystore))?.address).toBe(wallet.address);

    await writeFile(passwordFile, 'wrong');
    await expect(loadPublisherWallet(fromKeystore)).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    await writeFile(keyFile, 'not a key');
    const error: unknown = await loadPublisherWallet({ ...loadPayoutConfig(BASE)!, publisherKeyFile: keyFile }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringMatching(/not a 32-byte hex key/),
    });
    expect(String((error as Error).message)).not.toContain('not a key');
    await expect(
      loadPublisherWallet({ ...loadPayoutConfig(BASE)!, publisherKeyFile: join(dir, 'missing') }),
    ).rejects.toThrow(/ENOENT/);
    expect(await loadPublisherWallet(loadPayoutConfig(BASE)!)).toBeUndefined();
  });
});
