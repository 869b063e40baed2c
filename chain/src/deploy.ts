import { Contract, ContractFactory, getAddress, parseUnits, type ContractRunner, type Signer } from 'ethers';
import { ErrorCode, makeError } from '@edgeplay/shared';
import { loadArtifact, type ContractName } from './artifacts.js';

export const DEFAULT_MIN_STAKE = parseUnits('1000', 18);
export const DEFAULT_UNBONDING_PERIOD_SECONDS = 7 * 24 * 60 * 60;

export interface DeployOptions {
  /** The ATH token already on the chain. Without it a dev AthToken is deployed, owned by the signer. */
  token?: string;
  /** Holds DEFAULT_ADMIN_ROLE (grants roles) and PAUSER_ROLE; default the signer. */
  admin?: string;
  /** Holds PUBLISHER_ROLE (publishes roots, slashes); default the signer. */
  publisher?: string;
  /** Stake, in base units, that registers an operator; default 1,000 ATH. */
  minStake?: bigint;
  /** Default 7 days. */
  unbondingPeriodSeconds?: number;
}

export interface DeployedContracts {
  token: Contract;
  /** RewardDistributor: claims and operator staking share this one contract. */
  distributor: Contract;
  /** Whether `token` is a dev AthToken this call deployed. */
  deployedToken: boolean;
}

/**
 * Deploys the settlement contracts with `signer`, one transaction after the other (give it a
 * provider from createProvider, or a NonceManager, so nonces are never reused).
 */
export async function deployContracts(signer: Signer, options: DeployOptions = {}): Promise<DeployedContracts> {
  const provider = signer.provider;
  if (!provider) throw makeError(ErrorCode.INTERNAL, 'deployContracts needs a signer connected to a provider');
  const deployer = await signer.getAddress();
  let token: Contract;
  if (options.token === undefined) {
    token = await deploy('AthToken', signer, [deployer]);
  } else {
    const address = getAddress(options.token);
    if ((await provider.getCode(address)) === '0x') {
      throw makeError(ErrorCode.INTERNAL, `no contract at the configured ATH token address ${address}`);
    }
    token = await contractAt('AthToken', address, signer);
  }
  const distributor = await deploy('RewardDistributor', signer, [
    await token.getAddress(),
    options.admin ?? deployer,
    options.publisher ?? deployer,
    options.minStake ?? DEFAULT_MIN_STAKE,
    options.unbondingPeriodSeconds ?? DEFAULT_UNBONDING_PERIOD_SECONDS,
  ]);
  return { token, distributor, deployedToken: options.token === undefined };
}

/** A handle on contract `name` at `address` (its ABI from chain/build). */
export async function contractAt(name: ContractName, address: string, runner: ContractRunner): Promise<Contract> {
  const { abi } = await loadArtifact(name);
  return new Contract(address, abi, runner);
}

/** Deploys contract `name` with constructor `args` and waits until it is mined. */
export async function deploy(name: ContractName, signer: Signer, args: unknown[]): Promise<Contract> {
  const { abi, bytecode } = await loadArtifact(name);
  const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return new Contract(await contract.getAddress(), abi, signer);
}
