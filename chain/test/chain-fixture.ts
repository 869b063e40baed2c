import { Contract, parseUnits, type JsonRpcProvider, type JsonRpcSigner, type TransactionReceipt } from 'ethers';
import { expect } from 'vitest';
import { startAnvil, type Anvil } from '../src/anvil.js';
import { buildContracts } from '../src/compile.js';
import { deployContracts, type DeployOptions } from '../src/deploy.js';
import { createProvider } from '../src/provider.js';

export const ATH = (amount: string): bigint => parseUnits(amount, 18);
export const MIN_STAKE = ATH('1000');
export const UNBONDING_SECONDS = 3_600;
/** The first build compiles for half a minute on a busy 2-core machine; later ones are cached. */
export const FIXTURE_TIMEOUT_MS = 180_000;

export interface ChainFixture {
  anvil: Anvil;
  provider: JsonRpcProvider;
  /** Deployer: admin, pauser, publisher and token owner. */
  admin: JsonRpcSigner;
  /** anvil's other unlocked dev accounts. */
  accounts: JsonRpcSigner[];
  token: Contract;
  distributor: Contract;
  close(): Promise<void>;
}

/** A fresh anvil with the contracts deployed on it (dev AthToken, RewardDistributor). */
export async function startChain(options: DeployOptions = {}): Promise<ChainFixture> {
  await buildContracts();
  const anvil = await startAnvil();
  try {
    const provider = createProvider(anvil.url, anvil.chainId);
    const signers = await Promise.all(Array.from({ length: 10 }, (_, i) => provider.getSigner(i)));
    const [admin, ...accounts] = signers as [JsonRpcSigner, ...JsonRpcSigner[]];
    const { token, distributor } = await deployContracts(admin, {
      minStake: MIN_STAKE,
      unbondingPeriodSeconds: UNBONDING_SECONDS,
      ...options,
    });
    const close = async (): Promise<void> => {
      provider.destroy();
      await anvil.close();
    };
    return { anvil, provider, admin, accounts, token, distributor, close };
  } catch (error) {
    await anvil.close();
    throw error;
  }
}

/** Sends `method` of `contract` as `signer` and waits for the receipt. */
export async function send(
  contract: Contract,
  signer: JsonRpcSigner,
  method: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const response = await (contract.connect(signer) as Contract).getFunction(method)(...args);
  const receipt = (await response.wait()) as TransactionReceipt | null;
  if (!receipt) throw new Error(`${method}: no receipt`);
  return receipt;
}

export async function read<T>(contract: Contract, method: string, ...args: unknown[]): Promise<T> {
  return (await contract.getFunction(method)(...args)) as T;
}

/**
 * Expects `action` (a call or transaction on `contract`) to revert with the contract's custom
 * error `name`, and `args` when given. ethers decodes the revert of a call, but a failed gas
 * estimate of a transaction only carries the raw error data: decoded here with the ABI.
 */
export async function expectRevert(
  contract: Contract,
  action: Promise<unknown>,
  name: string,
  args?: unknown[],
): Promise<void> {
  const error = await action.then(
    () => undefined,
    (caught: unknown) => caught as { revert?: { name: string; args: unknown[] } | null; data?: string },
  );
  expect(error, `expected a revert with ${name}`).toBeDefined();
  const revert = error?.revert ?? (error?.data ? contract.interface.parseError(error.data) : null);
  expect(revert?.name, String(error)).toBe(name);
  if (args) expect([...(revert?.args ?? [])]).toEqual(args);
}

export async function balanceOf(token: Contract, account: { address: string } | string): Promise<bigint> {
  return read<bigint>(token, 'balanceOf', typeof account === 'string' ? account : account.address);
}

/** Mints `amount` ATH to `signer` and stakes it. */
export async function mintAndStake(chain: ChainFixture, signer: JsonRpcSigner, amount: bigint): Promise<void> {
  await send(chain.token, chain.admin, 'mint', signer.address, amount);
  await send(chain.token, signer, 'approve', await chain.distributor.getAddress(), amount);
  await send(chain.distributor, signer, 'stake', amount);
}

/** Moves anvil's clock forward and mines a block with the new time. */
export async function advanceTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}
