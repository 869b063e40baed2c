import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InterfaceAbi } from 'ethers';
import { ErrorCode, makeError } from '@edgeplay/shared';

/** Where `npm run build -w chain` writes the compiled contracts (ignored by git). */
export const BUILD_DIR = fileURLToPath(new URL('../build/', import.meta.url));

export type ContractName = 'AthToken' | 'RewardDistributor' | 'PlainMerkleDistributor';

export interface StorageSlot {
  label: string;
  slot: string;
  offset: number;
  contract: string;
  type: string;
}

export interface ContractArtifact {
  contractName: string;
  sourceName: string;
  compiler: string;
  abi: InterfaceAbi;
  bytecode: string;
  deployedBytecode: string;
  storageLayout?: { storage: StorageSlot[]; types: unknown };
}

/** The compiled contract `name`, or a coded error that says how to build it. */
export async function loadArtifact(name: ContractName): Promise<ContractArtifact> {
  const path = join(BUILD_DIR, `${name}.json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw makeError(ErrorCode.INTERNAL, `contract ${name} is not built (${path}); run \`npm run build -w chain\``);
  }
  return JSON.parse(text) as ContractArtifact;
}
