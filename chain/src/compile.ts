import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonFragment } from 'ethers';
import { BUILD_DIR, type ContractArtifact } from './artifacts.js';

/*
 * Compiles chain/contracts with solc-js, the compiler that ships inside the `solc` npm package
 * (emscripten; nothing is downloaded). Artifacts (ABI, bytecode, storage layout) go to
 * chain/build, one JSON file per deployable contract, plus a manifest keyed by a hash of every
 * input: sources, compiler and OpenZeppelin versions, settings. An unchanged hash skips the
 * compile, so running it from setup and tests costs nothing the second time.
 */

const require = createRequire(import.meta.url);
const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url));
const OPENZEPPELIN_DIR = dirname(require.resolve('@openzeppelin/contracts/package.json'));
const MANIFEST = join(BUILD_DIR, 'manifest.json');
const packageVersion = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;
const SOLC_VERSION = packageVersion('solc');

/**
 * Tuned for cheap claims over cheap deployment: the contracts are deployed once and claimed
 * from by every operator every epoch. `cancun` runs on every current L1/L2. See docs/chain.md.
 */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 1_000_000 },
  viaIR: true,
  evmVersion: 'cancun',
} as const;

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: JsonFragment[];
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
        storageLayout?: ContractArtifact['storageLayout'];
      }
    >
  >;
}

export interface BuildResult {
  /** Whether the compiler ran (false: the cached artifacts matched every input). */
  compiled: boolean;
  contracts: string[];
  hash: string;
}

/** Compiles the contracts unless chain/build already holds artifacts of exactly these inputs. */
export async function buildContracts(options: { force?: boolean } = {}): Promise<BuildResult> {
  const sources = await readSources();
  const hash = inputHash(sources);
  if (!options.force) {
    const cached = await readManifest();
    if (cached?.hash === hash) return { compiled: false, contracts: cached.contracts, hash };
  }
  const artifacts = await compile(sources);
  await mkdir(BUILD_DIR, { recursive: true });
  for (const artifact of artifacts) {
    await writeAtomically(join(BUILD_DIR, `${artifact.contractName}.json`), JSON.stringify(artifact, null, 2));
  }
  const contracts = artifacts.map((artifact) => artifact.contractName);
  // The manifest last: a build killed halfway leaves no manifest claiming it finished.
  await writeAtomically(MANIFEST, JSON.stringify({ hash, contracts, solc: SOLC_VERSION }, null, 2));
  return { compiled: true, contracts, hash };
}

async function readSources(): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const entries = await readdir(CONTRACTS_DIR, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.sol')) continue;
    const path = join(entry.parentPath, entry.name);
    sources.set(relative(CONTRACTS_DIR, path).split(sep).join('/'), await readFile(path, 'utf8'));
  }
  if (sources.size === 0) throw new Error(`no Solidity sources in ${CONTRACTS_DIR}`);
  return new Map([...sources].sort(([a], [b]) => a.localeCompare(b)));
}

function inputHash(sources: Map<string, string>): string {
  const openzeppelin = packageVersion('@openzeppelin/contracts');
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ solc: SOLC_VERSION, openzeppelin, settings: COMPILER_SETTINGS }));
  for (const [path, content] of sources) hash.update(`\0${path}\0${content}`);
  return hash.digest('hex');
}

async function compile(sources: Map<string, string>): Promise<ContractArtifact[]> {
  // Loaded only to compile: solc-js is 9 MB of emscripten that takes a second or two to start.
  const { default: solc } = await import('solc');
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...sources].map(([path, content]) => [path, { content }])),
    settings: {
      ...COMPILER_SETTINGS,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'storageLayout'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((entry) => entry.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc ${solc.version()} failed:\n${errors.map((entry) => entry.formattedMessage).join('\n')}`);
  }
  const artifacts: ContractArtifact[] = [];
  for (const sourceName of sources.keys()) {
    for (const [contractName, contract] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      if (contract.evm.bytecode.object === '') continue; // abstract contracts and interfaces
      artifacts.push({
        contractName,
        sourceName,
        compiler: solc.version(),
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
        ...(contract.storageLayout ? { storageLayout: contract.storageLayout } : {}),
      });
    }
  }
  return artifacts;
}

/** solc asks for every import it cannot find among the sources: OpenZeppelin from node_modules. */
function resolveImport(path: string): { contents: string } | { error: string } {
  const prefix = '@openzeppelin/contracts/';
  if (!path.startsWith(prefix) || path.includes('..')) return { error: `import not allowed: ${path}` };
  try {
    return { contents: readFileSync(join(OPENZEPPELIN_DIR, path.slice(prefix.length)), 'utf8') };
  } catch (error) {
    return { error: `cannot read ${path}: ${String(error)}` };
  }
}

async function readManifest(): Promise<{ hash: string; contracts: string[] } | undefined> {
  try {
    return JSON.parse(await readFile(MANIFEST, 'utf8')) as { hash: string; contracts: string[] };
  } catch {
    return undefined; // no build yet, or a broken one: compile again
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${content}\n`);
  await rename(temporary, path);
}
