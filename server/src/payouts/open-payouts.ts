import { getAddress, id, NonceManager, type Contract } from 'ethers';
import type { Logger } from 'pino';
import { contractAt, createProvider } from '@edgeplay/chain';
import { ErrorCode, makeError, type PayoutChain } from '@edgeplay/shared';
import { EpochPublisher, type PublishStep } from './epoch-publisher.js';
import { MemoryPublishStore } from './memory-publish-store.js';
import { OperatorEarningsReader, type VerifiedMinutes } from './operator-earnings.js';
import type { PayoutConfig } from './payout-config.js';
import type { PublishStore } from './publish-store.js';
import { loadPublisherWallet } from './publisher-key.js';
import { RedisPublishStore } from './redis-publish-store.js';

export interface OpenPayoutsOptions {
  config: PayoutConfig;
  /** The broker's CHAIN_ID: the chain at CHAIN_RPC_URL must be this one. */
  chainId: number;
  /** The broker's Redis: publishes are kept there when set (and must be, with several brokers). */
  redisUrl?: string | undefined;
  keyPrefix: string;
  logger: Logger;
  verifiedMinutes?: VerifiedMinutes;
  onStep?: (step: PublishStep, epoch: number) => void;
}

export interface Payouts {
  chain: PayoutChain;
  store: PublishStore;
  earnings: OperatorEarningsReader;
  /** Only with a publisher key configured. */
  publisher?: EpochPublisher;
  close(): Promise<void>;
}

/** How long start-up waits for the chain before going on without checking it. */
const STARTUP_CHECK_MS = 5_000;

/**
 * Connects the broker to the chain: the distributor (checked to be a contract, on CHAIN_ID,
 * with the configured token), the publish records, and, with a publisher key, the one
 * EpochPublisher of this process, which resumes any publish a previous run left unfinished.
 * A chain that does not answer at start is only a warning (earnings say so, publishes retry);
 * a chain that answers wrongly is a configuration error.
 */
export async function openPayouts(options: OpenPayoutsOptions): Promise<Payouts> {
  const { config, logger } = options;
  const log = logger.child({ component: 'payouts' });
  const provider = createProvider(config.rpcUrl, options.chainId);
  const closers: (() => Promise<unknown>)[] = [async () => provider.destroy()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const distributorAddress = getAddress(config.distributorAddress);
    const distributor = await contractAt('RewardDistributor', distributorAddress, provider);
    const wallet = await loadPublisherWallet(config);
    const checked = await withTimeout(
      checkChain(provider, distributor, options.chainId, wallet?.address),
      STARTUP_CHECK_MS,
    ).catch((error: unknown) => {
      if (isConfigError(error)) throw error;
      log.warn({ error: String(error) }, 'the chain did not answer at start; earnings say so and publishes retry');
      return undefined;
    });
    const token = config.tokenAddress ? getAddress(config.tokenAddress) : checked?.token;
    if (!token)
      throw configError(
        'ATH_TOKEN_ADDRESS is unset and the chain did not answer to say which token the distributor pays',
      );
    if (checked && checked.token !== token) {
      throw configError(`ATH_TOKEN_ADDRESS ${token} is not the distributor's token (${checked.token})`);
    }
    const chain: PayoutChain = {
      chainId: options.chainId,
      distributor: distributorAddress,
      token,
      rpcUrl: config.publicRpcUrl ?? null,
    };

    const store: PublishStore = options.redisUrl
      ? await RedisPublishStore.connect({
          url: options.redisUrl,
          keyPrefix: options.keyPrefix,
          onError: (error) => log.warn({ error: error.message }, 'payout store redis error'),
        })
      : new MemoryPublishStore();
    closers.push(() => store.close());
    const earnings = new OperatorEarningsReader({
      store,
      distributor,
      chain,
      ...(options.verifiedMinutes ? { verifiedMinutes: options.verifiedMinutes } : {}),
    });

    let publisher: EpochPublisher | undefined;
    if (wallet) {
      publisher = new EpochPublisher({
        store,
        signer: new NonceManager(wallet.connect(provider)),
        distributor,
        logger: log,
        confirmations: config.confirmations,
        retries: config.publishRetries,
        retryDelayMs: config.publishRetryDelayMs,
        timeoutMs: config.publishTimeoutMs,
        ...(options.onStep ? { onStep: (step, record) => options.onStep?.(step, record.epoch) } : {}),
      });
      const running = publisher;
      closers.push(() => running.close());
      void running.resumeUnfinished().then(
        (resumed) => {
          for (const record of resumed)
            log.info({ epoch: record.epoch, status: record.status }, 'unfinished publish resumed');
        },
        (error: unknown) => log.error({ error: String(error) }, 'resuming unfinished publishes failed'),
      );
    }
    log.info(
      {
        distributor: distributorAddress,
        token,
        publisher: wallet?.address ?? null,
        store: options.redisUrl ? 'redis' : 'memory',
      },
      wallet ? 'payouts: publishing epoch roots' : 'payouts: serving earnings (no publisher key)',
    );
    return { chain, store, earnings, ...(publisher ? { publisher } : {}), close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function checkChain(
  provider: ReturnType<typeof createProvider>,
  distributor: Contract,
  chainId: number,
  publisher: string | undefined,
): Promise<{ token: string }> {
  const actual = Number(await provider.send('eth_chainId', []));
  if (actual !== chainId) throw configError(`CHAIN_RPC_URL serves chain ${actual}, but CHAIN_ID is ${chainId}`);
  const address = await distributor.getAddress();
  if ((await provider.getCode(address)) === '0x') {
    throw configError(`no contract at REWARD_DISTRIBUTOR_ADDRESS ${address} on chain ${chainId}`);
  }
  const token = getAddress((await distributor.getFunction('token').staticCall()) as string);
  if (publisher) {
    const allowed = (await distributor.getFunction('hasRole').staticCall(id('PUBLISHER_ROLE'), publisher)) as boolean;
    if (!allowed) throw configError(`the publisher key's address ${publisher} lacks PUBLISHER_ROLE on the distributor`);
  }
  return { token };
}

const CONFIG_ERROR = Symbol('payout configuration error');

function configError(message: string) {
  return Object.assign(makeError(ErrorCode.INVALID_MESSAGE, `broker payouts configuration is invalid: ${message}`), {
    [CONFIG_ERROR]: true,
  });
}

function isConfigError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && CONFIG_ERROR in error;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
