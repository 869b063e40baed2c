import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { parseUnits, type Contract, type JsonRpcProvider, type JsonRpcSigner, type TransactionReceipt } from 'ethers';
import { writeBenchSection } from '../../e2e/src/bench-report.js';
import { startAnvil } from '../src/anvil.js';
import { BUILD_DIR } from '../src/artifacts.js';
import { buildContracts, COMPILER_SETTINGS } from '../src/compile.js';
import { deploy, deployContracts } from '../src/deploy.js';
import { buildEpochTree, type EpochClaim, type EpochTree } from '../src/epoch-tree.js';
import { createProvider } from '../src/provider.js';

/*
 * Settlement cost: how long the broker needs to build and publish an epoch's Merkle root for
 * 100,000 operators, and what a claim costs an operator in gas, on a real anvil. Run with
 * `node --import tsx chain/bench/settlement-bench.ts` (the last step of `npm run bench`); writes
 * the `settlement` section of docs/benchmarks.md. BENCH_OPERATORS=N measures another epoch size
 * and prints without writing.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_OPERATORS = 100_000;
const OPERATORS = Number(process.env.BENCH_OPERATORS ?? DEFAULT_OPERATORS);
const EPOCHS = 3;
const PER_SCENARIO = 7;
const LIBRARY_SAMPLE = 10_000;
const TARGET = { epochSeconds: 3, claimGas: 70_000 };
const ATH = (amount: string): bigint => parseUnits(amount, 18);

/** mulberry32: the same operators and amounts on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = seededRandom(20_261_130);
const randomAddress = (): string =>
  `0x${Array.from({ length: 20 }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('')}`;
/** One epoch's earnings of one operator: 0.001 to 50 ATH, in base units. */
const randomEarnings = (): bigint => BigInt(Math.floor(random() * 50_000)) * 10n ** 15n + 10n ** 15n;

type Wallet = 'empty' | 'holds ATH';
interface Scenario {
  name: string;
  contract: 'RewardDistributor' | 'PlainMerkleDistributor';
  method: 'claim' | 'claimAndStake';
  staked: boolean;
  wallet: Wallet;
  /** The epoch whose root is claimed against: 2 means the operators already claimed epoch 1. */
  epoch: 1 | 2;
  /** The scenario whose operators claim again (epoch 2). */
  reuses?: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'first claim, staked, empty wallet',
    contract: 'RewardDistributor',
    method: 'claim',
    staked: true,
    wallet: 'empty',
    epoch: 1,
  },
  {
    name: 'first claim, staked, holds ATH',
    contract: 'RewardDistributor',
    method: 'claim',
    staked: true,
    wallet: 'holds ATH',
    epoch: 1,
  },
  {
    name: 'first claim, not staked, holds ATH',
    contract: 'RewardDistributor',
    method: 'claim',
    staked: false,
    wallet: 'holds ATH',
    epoch: 1,
  },
  {
    name: 'first claim, not staked, empty wallet',
    contract: 'RewardDistributor',
    method: 'claim',
    staked: false,
    wallet: 'empty',
    epoch: 1,
  },
  {
    name: 'first claimAndStake, staked',
    contract: 'RewardDistributor',
    method: 'claimAndStake',
    staked: true,
    wallet: 'empty',
    epoch: 1,
  },
  {
    name: 'later claim (epoch 2), staked',
    contract: 'RewardDistributor',
    method: 'claim',
    staked: true,
    wallet: 'empty',
    epoch: 2,
    reuses: 'first claim, staked, empty wallet',
  },
  {
    name: 'plain OZ distributor: first claim, empty wallet',
    contract: 'PlainMerkleDistributor',
    method: 'claim',
    staked: false,
    wallet: 'empty',
    epoch: 1,
  },
  {
    name: 'plain OZ distributor: first claim, holds ATH',
    contract: 'PlainMerkleDistributor',
    method: 'claim',
    staked: false,
    wallet: 'holds ATH',
    epoch: 1,
  },
  {
    name: 'plain OZ distributor: later claim (epoch 2)',
    contract: 'PlainMerkleDistributor',
    method: 'claim',
    staked: false,
    wallet: 'holds ATH',
    epoch: 2,
    reuses: 'plain OZ distributor: first claim, holds ATH',
  },
];

interface ClaimSample {
  gas: number;
  proofLength: number;
  calldataGas: number;
}

interface EpochTiming {
  epoch: number;
  buildMs: number;
  /** CPU this process spent building: what the build costs when the machine is not shared. */
  buildCpuMs: number;
  publishMs: number;
}

async function send(
  contract: Contract,
  signer: JsonRpcSigner,
  method: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const response = await (contract.connect(signer) as Contract).getFunction(method)(...args);
  const receipt = (await response.wait()) as TransactionReceipt | null;
  if (!receipt || receipt.status !== 1) throw new Error(`${method} failed`);
  return receipt;
}

/** Gas the calldata costs (EIP-2028: 16 a non-zero byte, 4 a zero byte). */
function calldataGas(data: string): number {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4 : 16;
  return gas;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  await buildContracts();
  const anvil = await startAnvil({ accounts: 1 + SCENARIOS.length * PER_SCENARIO });
  const provider = createProvider(anvil.url, anvil.chainId);
  try {
    const report = await measure(provider);
    const manifest = JSON.parse(await readFile(join(BUILD_DIR, 'manifest.json'), 'utf8')) as { solc: string };
    const anvilVersion = (await provider.send('web3_clientVersion', [])) as string;
    const { hardFork } = (await provider.send('anvil_nodeInfo', [])) as { hardFork: string };
    const markdown = render({
      ...report,
      solc: manifest.solc,
      anvilVersion,
      hardFork,
      loadBefore,
      loadAfter: loadavg()[0] ?? 0,
    });
    console.log(markdown);
    if (OPERATORS === DEFAULT_OPERATORS) {
      await writeBenchSection(join(ROOT, 'docs', 'benchmarks.md'), 'settlement', markdown);
      console.log('[bench] wrote docs/benchmarks.md (settlement)');
    }
  } finally {
    provider.destroy();
    await anvil.close();
  }
}

async function measure(provider: JsonRpcProvider) {
  const signers = await Promise.all(
    Array.from({ length: 1 + SCENARIOS.length * PER_SCENARIO }, (_, i) => provider.getSigner(i)),
  );
  const [admin, ...operators] = signers as [JsonRpcSigner, ...JsonRpcSigner[]];
  const { token, distributor } = await deployContracts(admin);
  const plain = await deploy('PlainMerkleDistributor', admin, [await token.getAddress(), admin.address]);
  const distributorAddress = await distributor.getAddress();
  // Reward pools, far more than every sampled claim takes.
  await send(token, admin, 'mint', distributorAddress, ATH('10000000'));
  await send(token, admin, 'mint', await plain.getAddress(), ATH('10000000'));

  // Each scenario gets its own operators, prepared as it says.
  const groups = SCENARIOS.map((scenario, index) => ({
    scenario,
    signers: operators.slice(index * PER_SCENARIO, (index + 1) * PER_SCENARIO),
    samples: [] as ClaimSample[],
  }));
  for (const group of groups) {
    if (group.scenario.reuses !== undefined) {
      group.signers = groups.find(({ scenario }) => scenario.name === group.scenario.reuses)?.signers ?? [];
      continue;
    }
    for (const signer of group.signers) {
      const stake = group.scenario.staked ? ATH('2000') : 0n;
      const spare = group.scenario.wallet === 'holds ATH' ? ATH('500') : 0n;
      if (stake + spare > 0n) await send(token, admin, 'mint', signer.address, stake + spare);
      if (stake > 0n) {
        await send(token, signer, 'approve', distributorAddress, stake);
        await send(distributor, signer, 'stake', stake);
      }
    }
  }

  // 100,000 operators: the sampled ones among seeded random addresses; cumulative amounts grow each epoch.
  const sampled = new Set(operators.map((signer) => signer.address.toLowerCase()));
  const amounts = new Map<string, bigint>();
  for (const signer of operators) amounts.set(signer.address, 0n);
  while (amounts.size < OPERATORS) {
    const address = randomAddress();
    if (!sampled.has(address)) amounts.set(address, 0n);
  }

  const timings: EpochTiming[] = [];
  const trees: EpochTree[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch += 1) {
    for (const [address, amount] of amounts) amounts.set(address, amount + randomEarnings());
    const started = performance.now();
    const cpu = process.cpuUsage();
    const tree = await buildEpochTree(amounts);
    const built = performance.now();
    const { user, system } = process.cpuUsage(cpu);
    await send(distributor, admin, 'publishRoot', epoch, tree.root);
    const published = performance.now();
    timings.push({ epoch, buildMs: built - started, buildCpuMs: (user + system) / 1000, publishMs: published - built });
    trees.push(tree);
    console.log(
      `[bench] epoch ${epoch}: built in ${(built - started).toFixed(0)} ms, published in ${(published - built).toFixed(0)} ms`,
    );

    if (epoch > 2) continue;
    await send(plain, admin, 'setRoot', tree.root);
    for (const group of groups.filter(({ scenario }) => scenario.epoch === epoch)) {
      const contract = group.scenario.contract === 'RewardDistributor' ? distributor : plain;
      for (const signer of group.signers) {
        const claim = tree.proofs.get(signer.address) as EpochClaim;
        const receipt = await send(
          contract,
          signer,
          group.scenario.method,
          claim.account,
          claim.cumulativeAmount,
          claim.proof,
        );
        const transaction = await provider.getTransaction(receipt.hash);
        group.samples.push({
          gas: Number(receipt.gasUsed),
          proofLength: claim.proof.length,
          calldataGas: calldataGas(transaction?.data ?? '0x'),
        });
      }
    }
  }

  // The library itself, for scale: a tenth of the epoch.
  const reference = [...amounts].slice(0, LIBRARY_SAMPLE);
  const libraryStarted = performance.now();
  StandardMerkleTree.of(reference, ['address', 'uint256']);
  const libraryMs = performance.now() - libraryStarted;

  return { timings, groups, libraryMs, proofLengths: depthCounts(trees[0] as EpochTree, amounts) };
}

/** How many of the epoch's operators have proofs of each length. */
function depthCounts(tree: EpochTree, amounts: Map<string, bigint>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const address of amounts.keys()) {
    const length = tree.proofs.get(address)?.proof.length ?? -1;
    counts.set(length, (counts.get(length) ?? 0) + 1);
  }
  return counts;
}

function render(report: {
  timings: EpochTiming[];
  groups: { scenario: Scenario; samples: ClaimSample[] }[];
  libraryMs: number;
  proofLengths: Map<number, number>;
  solc: string;
  anvilVersion: string;
  hardFork: string;
  loadBefore: number;
  loadAfter: number;
}): string {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const format = (value: number): string => Math.round(value).toLocaleString('en-US');
  const seconds = (ms: number): string => (ms / 1000).toFixed(2);
  const totals = report.timings.map(({ buildMs, publishMs }) => buildMs + publishMs);
  const worst = Math.max(...totals);
  const lengths = [...report.proofLengths]
    .sort(([a], [b]) => a - b)
    .map(([length, count]) => `${format(count)} with ${length}`);
  const ours = report.groups.find(({ scenario }) => scenario.name === 'first claim, staked, holds ATH');
  const sample = ours?.samples.find(
    ({ proofLength }) => proofLength === Math.max(...ours.samples.map((s) => s.proofLength)),
  );

  const rows = report.groups.map(({ scenario, samples }) => {
    const gas = samples.map(({ gas: used }) => used);
    const depths = [...new Set(samples.map(({ proofLength }) => proofLength))].sort().join(', ');
    const met = scenario.contract === 'RewardDistributor' ? (median(gas) < TARGET.claimGas ? 'yes' : 'no') : '–';
    return `| ${scenario.name} | ${samples.length} | ${depths} | ${format(median(gas))} | ${format(Math.min(...gas))} | ${format(Math.max(...gas))} | ${met} |`;
  });

  return `## Settlement: epoch roots and claims

Measured by \`node --import tsx chain/bench/settlement-bench.ts\` (the last step of \`npm run bench\`) on ${date}:
${machine}, Node ${process.version}, ${report.anvilVersion} (its default hardfork, ${report.hardFork}), solc ${report.solc}
(optimizer ${COMPILER_SETTINGS.optimizer.runs.toLocaleString('en-US')} runs, via IR: ${COMPILER_SETTINGS.viaIR ? 'yes' : 'no'}, EVM ${COMPILER_SETTINGS.evmVersion}).
Load average (1 min) ${report.loadBefore.toFixed(1)} before and ${report.loadAfter.toFixed(1)} after: the machine is shared, so times vary.

### Building and publishing an epoch root

${format(OPERATORS)} operators with seeded random addresses and cumulative amounts that grow every epoch.
Build = \`buildEpochTree\` (validate and checksum every address, hash the leaves, sort, hash the tree), with the
CPU time this process spent on it (wall time above it is time spent waiting for a core);
publish = \`publishRoot\` sent to anvil and its receipt back (gas estimate, send, mined at once).

| epoch | build s | of which CPU s | publish s | total s |
| --- | --- | --- | --- | --- |
${report.timings.map(({ epoch, buildMs, buildCpuMs, publishMs }) => `| ${epoch} | ${seconds(buildMs)} | ${seconds(buildCpuMs)} | ${seconds(publishMs)} | ${seconds(buildMs + publishMs)} |`).join('\n')}

Target ≤ ${TARGET.epochSeconds} s: **${worst <= TARGET.epochSeconds * 1000 ? 'met' : 'not met'}** (worst ${seconds(worst)} s).
For scale, @openzeppelin/merkle-tree's own \`StandardMerkleTree.of\` took ${seconds(report.libraryMs)} s for ${format(LIBRARY_SAMPLE)} of these operators
(the same tree; \`buildEpochTree\` reimplements it over a WebAssembly keccak, checked against the library in chain/test).
Proof lengths in this epoch: ${lengths.join(', ')} siblings.

### Gas per claim

Real transactions on anvil, gas from their receipts; ${PER_SCENARIO} operators per row, each with its own proof from the
${format(OPERATORS)}-operator tree. "Staked" operators staked 2,000 ATH first; "empty wallet" means the operator held no ATH, so
the token writes a fresh balance slot (20,000 gas) when paying it. The plain OZ distributor is
\`chain/contracts/reference/PlainMerkleDistributor.sol\` (MerkleProof.verify, a claimed-amount mapping, SafeERC20), built with the
same compiler settings and claimed against the same roots.

| scenario | claims | proof length | median gas | min | max | < ${format(TARGET.claimGas)} |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${
  sample
    ? `Where the gas of one "first claim, staked, holds ATH" (proof of ${sample.proofLength}) goes: ${format(sample.gas)} in all = 21,000 base
+ ${format(sample.calldataGas)} calldata (the proof is most of it, ~16 gas a byte) + ${format(sample.gas - 21_000 - sample.calldataGas)} execution
(cold reads of the root and the pause/bonded slot, the operator's stake slot rewritten, the proof's hashes, the balance check
and the token transfer with its two balance writes and event).`
    : ''
}`;
}

await main();
