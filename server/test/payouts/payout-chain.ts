import { Contract, NonceManager, parseUnits, Wallet, type JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import pino from 'pino';
import { buildContracts, createProvider, deployContracts, startAnvil, type Anvil } from '@edgeplay/chain';
import { EpochPublisher, type EpochPublisherOptions } from '../../src/payouts/epoch-publisher.js';
import type { PublishStore } from '../../src/payouts/publish-store.js';

export const ATH = (amount: string): bigint => parseUnits(amount, 18);
/** What the tests fund the distributor with: rewards claims draw from. */
export const REWARD_POOL = ATH('1000000');

export interface PayoutChain {
  anvil: Anvil;
  provider: JsonRpcProvider;
  /** anvil account 0: deployer, admin, token owner. */
  admin: JsonRpcSigner;
  /** A fresh key holding PUBLISHER_ROLE (and gas money), as a broker's would. */
  publisherKey: string;
  token: Contract;
  distributor: Contract;
  distributorAddress: string;
  close(): Promise<void>;
}

/** A fresh anvil with AthToken and RewardDistributor deployed, the pool funded, and a publisher key. */
export async function startPayoutChain(): Promise<PayoutChain> {
  await buildContracts();
  const anvil = await startAnvil();
  const provider = createProvider(anvil.url, anvil.chainId);
  try {
    const admin = await provider.getSigner(0);
    const publisher = Wallet.createRandom();
    await provider.send('anvil_setBalance', [publisher.address, '0x56bc75e2d63100000']); // 100 ETH
    const { token, distributor } = await deployContracts(admin, { publisher: publisher.address });
    const distributorAddress = await distributor.getAddress();
    await (await token.getFunction('mint')(distributorAddress, REWARD_POOL)).wait();
    return {
      anvil,
      provider,
      admin,
      publisherKey: publisher.privateKey,
      token,
      distributor,
      distributorAddress,
      async close() {
        provider.destroy();
        await anvil.close();
      },
    };
  } catch (error) {
    provider.destroy();
    await anvil.close();
    throw error;
  }
}

export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** An EpochPublisher as a broker builds one, against `rpcUrl` (the chain, or a proxy in front of it). */
export function makePublisher(
  chain: PayoutChain,
  store: PublishStore,
  overrides: Partial<EpochPublisherOptions> & { rpcUrl?: string } = {},
): { publisher: EpochPublisher; provider: JsonRpcProvider } {
  const { rpcUrl, ...options } = overrides;
  const provider = createProvider(rpcUrl ?? chain.anvil.url, chain.anvil.chainId);
  const signer = new NonceManager(new Wallet(chain.publisherKey, provider));
  const publisher = new EpochPublisher({
    store,
    signer,
    distributor: chain.distributor.connect(provider) as Contract,
    logger: quietLogger,
    confirmations: 1,
    retries: 6,
    retryDelayMs: 100,
    timeoutMs: 20_000,
    pollMs: 50,
    ...options,
  });
  return { publisher, provider };
}

/** How many transactions the publisher key has sent (its nonce on chain). */
export async function publisherTransactions(chain: PayoutChain): Promise<number> {
  return chain.provider.getTransactionCount(new Wallet(chain.publisherKey).address, 'latest');
}

/** RootPublished events on chain for `epoch`. */
export async function rootsPublished(chain: PayoutChain, epoch: number): Promise<string[]> {
  const events = await chain.distributor.queryFilter(
    chain.distributor.filters.RootPublished?.(epoch) ?? 'RootPublished',
  );
  return events.map((event) => ('args' in event ? String(event.args[1]) : ''));
}
