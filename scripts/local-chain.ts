import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NonceManager, parseUnits, Wallet } from 'ethers';
import { buildContracts, createProvider, deployContracts, startAnvil } from '@edgeplay/chain';

/**
 * anvil's first dev account (from its public test mnemonic): the local stack's deployer,
 * admin and publisher. Known to everyone, so only ever used on the throw-away local chain.
 */
const DEV_PUBLISHER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
/** ATH the local distributor is funded with: what operators' claims draw from. */
export const LOCAL_REWARD_POOL = parseUnits('1000000', 18);
/** ETH given to a local operator wallet so it can pay for its claim. */
const OPERATOR_GAS_MONEY = `0x${parseUnits('10', 18).toString(16)}`;

export interface LocalChain {
  /** Environment for the broker: CHAIN_RPC_URL, addresses, the publisher key file, ADMIN_TOKEN. */
  brokerEnv: NodeJS.ProcessEnv;
  rpcUrl: string;
  /** True when this process started anvil (false: CHAIN_RPC_URL pointed elsewhere). */
  embedded: boolean;
  /** Gives a local operator wallet gas money for its claims (embedded chain only). */
  fundOperator(address: string): Promise<void>;
  /** Stops anvil if this process started it; resolves once it is gone. */
  close(): Promise<void>;
}

/**
 * The chain `npm start` settles on. With CHAIN_RPC_URL (and the contracts' addresses) set,
 * that chain, passed through untouched. Otherwise anvil from its npm package on a free port,
 * with AthToken and RewardDistributor deployed by the dev publisher key, the reward pool
 * funded, and a fresh ADMIN_TOKEN for closing epochs; the publisher key and the token are
 * written under `dir` (mode 0600) for the broker and `npm run epoch:close`.
 */
export async function startLocalChain(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalChain> {
  if (env.CHAIN_RPC_URL) {
    return {
      brokerEnv: {},
      rpcUrl: env.CHAIN_RPC_URL,
      embedded: false,
      fundOperator: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  await buildContracts();
  const anvil = await startAnvil({ chainId: Number(env.CHAIN_ID ?? 31337) });
  const provider = createProvider(anvil.url, anvil.chainId);
  try {
    const deployer = new NonceManager(new Wallet(DEV_PUBLISHER_KEY, provider));
    const { token, distributor } = await deployContracts(deployer);
    const distributorAddress = await distributor.getAddress();
    await (await token.getFunction('mint')(distributorAddress, LOCAL_REWARD_POOL)).wait();

    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dir, 'publisher.key');
    const adminToken = randomBytes(24).toString('hex');
    await writeSecret(keyFile, `${DEV_PUBLISHER_KEY}\n`);
    await writeSecret(join(dir, 'admin-token'), `${adminToken}\n`);
    return {
      brokerEnv: {
        CHAIN_ID: String(anvil.chainId),
        CHAIN_RPC_URL: anvil.url,
        CHAIN_PUBLIC_RPC_URL: anvil.url,
        REWARD_DISTRIBUTOR_ADDRESS: distributorAddress,
        ATH_TOKEN_ADDRESS: await token.getAddress(),
        PUBLISHER_KEY_FILE: keyFile,
        ADMIN_TOKEN: adminToken,
      },
      rpcUrl: anvil.url,
      embedded: true,
      async fundOperator(address) {
        await provider.send('anvil_setBalance', [address, OPERATOR_GAS_MONEY]);
      },
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

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}
