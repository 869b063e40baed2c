import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Network } from 'ethers';
import pino from 'pino';
import { contractAt } from '@edgeplay/chain';
import { EpochClosedSchema, type EpochPublish } from '@edgeplay/shared';
import { createBroker, type Broker } from '../../server/src/broker.js';
import { loadBrokerConfig } from '../../server/src/config.js';
import { loadPayoutConfig } from '../../server/src/payouts/payout-config.js';
import { startLocalChain, type LocalChain } from '../../scripts/local-chain.js';

export interface PayoutStack {
  /** The broker's origin: it serves the web client, the operator page and the payout routes. */
  url: string;
  chain: LocalChain;
  provider: JsonRpcProvider;
  token: Contract;
  distributor: Contract;
  /** What the stand-in ledger returns at the next close: operator → cumulative ATH (base units). */
  setLedger(amounts: Map<string, bigint>): void;
  /** Closes an epoch through the broker's admin route, as `npm run epoch:close` does. */
  closeEpoch(): Promise<EpochPublish>;
  balanceOf(address: string): Promise<bigint>;
  close(): Promise<void>;
}

/**
 * The payout half of the product as `npm start` runs it — the local chain (anvil, contracts,
 * funded pool, dev publisher key) and a broker with payouts on — except that the usage ledger
 * is a stand-in returning fixed amounts (the ledger has its own tests). The broker runs in this
 * process so the stand-in can be handed to it.
 */
export async function startPayoutStack(): Promise<PayoutStack> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-payouts-'));
  const chain = await startLocalChain(dir, {});
  let ledger = new Map<string, bigint>();
  let broker: Broker | undefined;
  const network = Network.from(Number(chain.brokerEnv.CHAIN_ID));
  const provider = new JsonRpcProvider(chain.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
  const close = async (): Promise<void> => {
    await broker?.stop();
    provider.destroy();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const env = { ...chain.brokerEnv, PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' };
    broker = createBroker({
      config: loadBrokerConfig(env),
      logger: pino({ level: env.LOG_LEVEL, base: { service: 'broker' } }),
      payouts: loadPayoutConfig(env),
      closeEpoch: () => Promise.resolve(ledger),
    });
    const { url } = await broker.start();
    const token = await contractAt('AthToken', String(chain.brokerEnv.ATH_TOKEN_ADDRESS), provider);
    const distributor = await contractAt(
      'RewardDistributor',
      String(chain.brokerEnv.REWARD_DISTRIBUTOR_ADDRESS),
      provider,
    );
    return {
      url,
      chain,
      provider,
      token,
      distributor,
      setLedger(amounts) {
        ledger = amounts;
      },
      async closeEpoch() {
        const response = await fetch(`${url}/api/admin/epochs/close`, {
          method: 'POST',
          headers: { authorization: `Bearer ${String(chain.brokerEnv.ADMIN_TOKEN)}` },
        });
        const body: unknown = await response.json();
        if (!response.ok) throw new Error(`closing the epoch failed: ${JSON.stringify(body)}`);
        return EpochClosedSchema.parse(body).publish;
      },
      balanceOf: async (address) => (await token.getFunction('balanceOf')(address)) as bigint,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
