import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUnits, type Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeystore } from '../edge-node/src/identity/keystore.js';
import { runEdgeNodeClaim, type ClaimRun } from './src/edge-node-claim.js';
import { startPayoutStack, type PayoutStack } from './src/payout-stack.js';

const ATH = (amount: string): bigint => parseUnits(amount, 18);
const PASSWORD = 'operator-password-for-tests';

/** `edge-node claim` as an operator runs it: its own process, the wallet from a keystore file. */
describe('edge-node claim', () => {
  let stack: PayoutStack;
  let dir: string;
  let operator: Wallet;
  let keystore: string;

  beforeAll(async () => {
    stack = await startPayoutStack();
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-claim-'));
    keystore = join(dir, 'operator.json');
    operator = await createKeystore(keystore, PASSWORD, { scryptN: 2 ** 10 });
    await stack.chain.fundOperator(operator.address); // gas money, as `npm start` gives its operator
  });

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `edge-node claim ARGS` with the operator's keystore and the stack's broker; `env` overrides. */
  const claim = (args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ClaimRun> =>
    runEdgeNodeClaim({ brokerUrl: stack.url, keystore, password: PASSWORD, args, env });

  it('says plainly that there is nothing to claim before any epoch, and exits 3', async () => {
    const run = await claim();
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`edge-node claim: nothing to claim for ${operator.address}\n`);
    expect(run.stdout).toBe('');
  });

  it('claims exactly the ATH earned, prints amount and transaction, and refuses to claim it twice', async () => {
    stack.setLedger(new Map([[operator.address, ATH('7.25')]]));
    await stack.closeEpoch();
    const before = await stack.balanceOf(operator.address);

    const run = await claim();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Claimed 7\\.25 ATH for ${operator.address}\\.\\nTransaction (0x[0-9a-f]{64}) \\(block \\d+, epoch 1\\)\\.\\n$`,
      ),
    );
    const txHash = /Transaction (0x[0-9a-f]{64})/.exec(run.stdout)?.[1] as string;
    const receipt = await stack.provider.getTransactionReceipt(txHash);
    expect(receipt?.from).toBe(operator.address);
    expect(receipt?.status).toBe(1);
    expect((await stack.balanceOf(operator.address)) - before).toBe(ATH('7.25'));

    const again = await claim();
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(`edge-node claim: nothing to claim for ${operator.address} (7.25 ATH claimed already)\n`);
    expect((await stack.balanceOf(operator.address)) - before).toBe(ATH('7.25'));
  });

  it('--stake adds what the next epoch added to the operator’s stake instead of paying it out', async () => {
    stack.setLedger(new Map([[operator.address, ATH('10')]]));
    await stack.closeEpoch();
    const before = await stack.balanceOf(operator.address);
    const run = await claim(['--stake']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^Staked 2\\.75 ATH for ${operator.address} \\(now 2\\.75 ATH staked\\)\\.\\n`),
    );
    expect(await stack.balanceOf(operator.address)).toBe(before);
    const [staked] = (await stack.distributor.getFunction('stakeOf')(operator.address)) as [bigint];
    expect(staked).toBe(ATH('2.75'));
  });

  it('names a bad broker or a wrong password, and exits 1', async () => {
    const unreachable = await claim(['--broker', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^edge-node: cannot reach the broker at http:\/\/127\.0\.0\.1:1/);

    const denied = await claim([], { EDGE_KEYSTORE_PASSWORD: 'not-the-password' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^edge-node: wrong password for keystore /);
  });
});
