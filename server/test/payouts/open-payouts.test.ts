import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEpochTree } from '@edgeplay/chain';
import { ErrorCode } from '@edgeplay/shared';
import { openPayouts } from '../../src/payouts/open-payouts.js';
import { loadPayoutConfig } from '../../src/payouts/payout-config.js';
import { RedisPublishStore } from '../../src/payouts/redis-publish-store.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { ATH, publisherTransactions, quietLogger, startPayoutChain, type PayoutChain } from './payout-chain.js';
import { ALICE } from './publish-store-contract.js';

let chain: PayoutChain;
let redis: RedisServer;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  [chain, redis] = await Promise.all([startPayoutChain(), startRedisServer()]);
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-open-payouts-'));
  keyFile = join(dir, 'publisher.key');
  await writeFile(keyFile, chain.publisherKey);
}, 180_000);

afterAll(async () => {
  await Promise.all([chain?.close(), redis?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const env = (overrides: NodeJS.ProcessEnv = {}) =>
  loadPayoutConfig({
    CHAIN_RPC_URL: chain.anvil.url,
    REWARD_DISTRIBUTOR_ADDRESS: chain.distributorAddress,
    PUBLISHER_KEY_FILE: keyFile,
    ...overrides,
  })!;

describe('a broker opening its payouts', () => {
  it('refuses a chain that answers wrongly: another chain id, a key without PUBLISHER_ROLE, another token', async () => {
    const open = (config: ReturnType<typeof env>, chainId = chain.anvil.chainId) =>
      openPayouts({ config, chainId, keyPrefix: 'x:', logger: quietLogger });
    await expect(open(env(), 1)).rejects.toThrow(/CHAIN_RPC_URL serves chain 31337, but CHAIN_ID is 1/);
    const stranger = join(dir, 'stranger.key');
    await writeFile(stranger, Wallet.createRandom().privateKey);
    await expect(open(env({ PUBLISHER_KEY_FILE: stranger }))).rejects.toThrow(/lacks PUBLISHER_ROLE/);
    await expect(open(env({ ATH_TOKEN_ADDRESS: ALICE }))).rejects.toThrow(/is not the distributor's token/);
    await expect(open(env({ REWARD_DISTRIBUTOR_ADDRESS: ALICE }))).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringMatching(/no contract at REWARD_DISTRIBUTOR_ADDRESS/),
    });
  });

  it('starts while the chain is down, and says so in the earnings', async () => {
    const token = (await chain.token.getAddress()) as string;
    const down = env({ CHAIN_RPC_URL: 'http://127.0.0.1:1', ATH_TOKEN_ADDRESS: token });
    const payouts = await openPayouts({
      config: down,
      chainId: chain.anvil.chainId,
      keyPrefix: 'x:',
      logger: quietLogger,
    });
    try {
      expect(payouts.chain).toEqual({
        chainId: chain.anvil.chainId,
        distributor: chain.distributorAddress,
        token,
        rpcUrl: null,
      });
      expect((await payouts.earnings.earnings(ALICE)).chainError).toMatch(/did not answer/);
    } finally {
      await payouts.close();
    }
    const withoutToken = env({ CHAIN_RPC_URL: 'http://127.0.0.1:1' });
    await expect(
      openPayouts({ config: withoutToken, chainId: chain.anvil.chainId, keyPrefix: 'x:', logger: quietLogger }),
    ).rejects.toThrow(/ATH_TOKEN_ADDRESS is unset and the chain did not answer/);
  });

  it('resumes at start a publish a previous run signed and recorded but never sent', async () => {
    const prefix = `test-${randomUUID()}:`;
    const store = await RedisPublishStore.connect({ url: redis.url, keyPrefix: prefix });
    try {
      // What a broker killed between recording `submitted` and broadcasting leaves behind.
      const amounts = new Map([[ALICE, ATH('4')]]);
      const tree = await buildEpochTree(amounts);
      const { record } = await store.createEpoch(
        { epoch: 1, root: tree.root, total: tree.total, amounts, dump: tree.dump() },
        1,
      );
      const signer = new Wallet(chain.publisherKey, chain.provider);
      const rawTx = await signer.signTransaction(
        await signer.populateTransaction({
          to: chain.distributorAddress,
          data: chain.distributor.interface.encodeFunctionData('publishRoot', [1, tree.root]),
        }),
      );
      const txHash = Transaction.from(rawTx).hash as string;
      await store.update(1, record.revision, { status: 'submitted', txHashes: [txHash], rawTx, nonce: 0 }, 2);
      expect(await publisherTransactions(chain)).toBe(0);

      const payouts = await openPayouts({
        config: env(),
        chainId: chain.anvil.chainId,
        redisUrl: redis.url,
        keyPrefix: prefix,
        logger: quietLogger,
      });
      try {
        await expect.poll(async () => (await store.get(1))?.status, { timeout: 20_000 }).toBe('confirmed');
        expect((await store.get(1))?.txHashes).toEqual([txHash]);
        expect(await publisherTransactions(chain)).toBe(1);
        expect((await payouts.earnings.earnings(ALICE)).claimable).toBe(ATH('4'));
      } finally {
        await payouts.close();
      }
    } finally {
      await store.close();
    }
  });
});
