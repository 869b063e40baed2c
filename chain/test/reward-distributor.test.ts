import { getAddress, hexlify, randomBytes, ZeroHash, type JsonRpcSigner } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEpochTree, type EpochTree } from '../src/epoch-tree.js';
import {
  ATH,
  balanceOf,
  expectRevert,
  FIXTURE_TIMEOUT_MS,
  mintAndStake,
  read,
  send,
  startChain,
  type ChainFixture,
} from './chain-fixture.js';

/** The operators of an epoch: three real accounts among unrelated ones, so proofs are several levels deep. */
function epochAmounts(own: [JsonRpcSigner, bigint][]): Map<string, bigint> {
  const amounts = new Map<string, bigint>(own.map(([signer, amount]) => [signer.address, amount]));
  for (let i = 1; i <= 61; i += 1) amounts.set(getAddress(hexlify(randomBytes(20))), ATH(String(i)));
  return amounts;
}

describe('RewardDistributor on anvil', () => {
  let chain: ChainFixture;
  let alice: JsonRpcSigner;
  let bob: JsonRpcSigner;
  let carol: JsonRpcSigner;
  let epoch1: EpochTree;

  beforeAll(async () => {
    chain = await startChain();
    [alice, bob, carol] = chain.accounts as [JsonRpcSigner, JsonRpcSigner, JsonRpcSigner];
    // The reward pool: ATH the distributor holds beyond stake.
    await send(chain.token, chain.admin, 'mint', await chain.distributor.getAddress(), ATH('1000'));
    epoch1 = await buildEpochTree(
      epochAmounts([
        [alice, ATH('12.5')],
        [bob, ATH('3')],
        [carol, ATH('7')],
      ]),
    );
  }, FIXTURE_TIMEOUT_MS);

  afterAll(async () => {
    await chain?.close();
  });

  const claimOf = (tree: EpochTree, signer: JsonRpcSigner) => {
    const claim = tree.proofs.get(signer.address);
    if (!claim) throw new Error(`${signer.address} has no leaf`);
    return claim;
  };

  it('only the publisher publishes a root, epochs follow one another', async () => {
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(alice) as typeof chain.distributor).getFunction('publishRoot')(1, epoch1.root),
      'AccessControlUnauthorizedAccount',
    );
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('publishRoot')(2, epoch1.root),
      'EpochOutOfOrder',
      [1n, 2n],
    );
    await expectRevert(chain.distributor, chain.distributor.getFunction('publishRoot')(1, ZeroHash), 'ZeroRoot');

    const receipt = await send(chain.distributor, chain.admin, 'publishRoot', 1, epoch1.root);
    const published = chain.distributor.interface.parseLog(receipt.logs[0] as never);
    expect(published?.name).toBe('RootPublished');
    expect([...(published?.args ?? [])]).toEqual([1n, epoch1.root]);
    expect(await read(chain.distributor, 'currentEpoch')).toBe(1n);
    expect(await read(chain.distributor, 'merkleRoot')).toBe(epoch1.root);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('publishRoot')(1, epoch1.root),
      'EpochOutOfOrder',
      [2n, 1n],
    );
  });

  it('a claim pays exactly the cumulative amount in the leaf', async () => {
    const claim = claimOf(epoch1, alice);
    expect(claim.proof.length).toBeGreaterThanOrEqual(6);
    // Submitted by someone else: the ATH still goes to the account in the leaf.
    await send(chain.distributor, carol, 'claim', claim.account, claim.cumulativeAmount, claim.proof);
    expect(await balanceOf(chain.token, alice)).toBe(ATH('12.5'));
    expect(await balanceOf(chain.token, carol)).toBe(0n);
    expect(await read(chain.distributor, 'claimed', alice.address)).toBe(ATH('12.5'));
  });

  it('claiming again under the same root pays nothing: the chain rejects it', async () => {
    const claim = claimOf(epoch1, alice);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('claim')(claim.account, claim.cumulativeAmount, claim.proof),
      'NothingToClaim',
      [alice.address, ATH('12.5'), ATH('12.5')],
    );
    // Past ethers' own gas estimate, straight into a block: mined, reverted, nothing paid.
    const response = await (chain.distributor.connect(alice) as typeof chain.distributor).getFunction('claim')(
      claim.account,
      claim.cumulativeAmount,
      claim.proof,
      { gasLimit: 200_000 },
    );
    await expect(response.wait()).rejects.toMatchObject({ receipt: { status: 0 } });
    expect(await balanceOf(chain.token, alice)).toBe(ATH('12.5'));
  });

  it('a wrong proof, amount or account reverts', async () => {
    const claim = claimOf(epoch1, bob);
    const claimFn = chain.distributor.getFunction('claim');
    await expectRevert(
      chain.distributor,
      claimFn(claim.account, claim.cumulativeAmount + 1n, claim.proof),
      'InvalidProof',
    );
    await expectRevert(chain.distributor, claimFn(carol.address, claim.cumulativeAmount, claim.proof), 'InvalidProof');
    await expectRevert(
      chain.distributor,
      claimFn(claim.account, claim.cumulativeAmount, claim.proof.slice(1)),
      'InvalidProof',
    );
    const tampered = [...claim.proof];
    tampered[0] = claimOf(epoch1, carol).proof[0] as string;
    await expectRevert(chain.distributor, claimFn(claim.account, claim.cumulativeAmount, tampered), 'InvalidProof');
    expect(await balanceOf(chain.token, bob)).toBe(0n);
  });

  it('a paused distributor refuses claims until unpaused, and only the pauser pauses', async () => {
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(bob) as typeof chain.distributor).getFunction('pause')(),
      'AccessControlUnauthorizedAccount',
    );
    await send(chain.distributor, chain.admin, 'pause');
    const claim = claimOf(epoch1, bob);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('claim')(claim.account, claim.cumulativeAmount, claim.proof),
      'EnforcedPause',
    );
    await send(chain.distributor, chain.admin, 'unpause');
    await send(chain.distributor, bob, 'claim', claim.account, claim.cumulativeAmount, claim.proof);
    expect(await balanceOf(chain.token, bob)).toBe(ATH('3'));
  });

  it("a new epoch's larger cumulative amount pays only the difference; the old root no longer counts", async () => {
    const epoch2 = await buildEpochTree(
      epochAmounts([
        [alice, ATH('20')],
        [bob, ATH('3')],
        [carol, ATH('7')],
      ]),
    );
    await send(chain.distributor, chain.admin, 'publishRoot', 2, epoch2.root);
    expect(await read(chain.distributor, 'rootOf', 1)).toBe(epoch1.root);
    expect(await read(chain.distributor, 'rootOf', 2)).toBe(epoch2.root);

    const old = claimOf(epoch1, carol);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('claim')(old.account, old.cumulativeAmount, old.proof),
      'InvalidProof',
    );
    const claim = claimOf(epoch2, alice);
    const receipt = await send(chain.distributor, alice, 'claim', claim.account, claim.cumulativeAmount, claim.proof);
    expect(await balanceOf(chain.token, alice)).toBe(ATH('20'));
    const claimed = receipt.logs
      .map((log) => chain.distributor.interface.parseLog(log))
      .find((log) => log?.name === 'Claimed');
    expect([...(claimed?.args ?? [])]).toEqual([alice.address, ATH('7.5'), ATH('20')]);
    // Bob's total did not grow: nothing to claim.
    const bobs = claimOf(epoch2, bob);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('claim')(bobs.account, bobs.cumulativeAmount, bobs.proof),
      'NothingToClaim',
    );
    const carols = claimOf(epoch2, carol);
    await send(chain.distributor, carol, 'claim', carols.account, carols.cumulativeAmount, carols.proof);
    expect(await balanceOf(chain.token, carol)).toBe(ATH('7'));
  });

  it('never pays rewards out of stake, and claimAndStake adds the reward to the stake', async () => {
    // The pool holds 1000 - 20 - 3 - 7 = 970 ATH of rewards; dave stakes 2000 on top.
    const dave = chain.accounts[3] as JsonRpcSigner;
    await mintAndStake(chain, dave, ATH('2000'));
    const distributor = await chain.distributor.getAddress();
    expect(await balanceOf(chain.token, distributor)).toBe(ATH('2970'));
    const epoch3 = await buildEpochTree(
      epochAmounts([
        [alice, ATH('20')],
        [dave, ATH('980')],
      ]),
    );
    await send(chain.distributor, chain.admin, 'publishRoot', 3, epoch3.root);
    const claim = claimOf(epoch3, dave);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('claim')(claim.account, claim.cumulativeAmount, claim.proof),
      'RewardPoolShort',
      [ATH('970'), ATH('980')],
    );
    await send(chain.token, chain.admin, 'mint', distributor, ATH('10'));
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(alice) as typeof chain.distributor).getFunction('claimAndStake')(
        claim.account,
        claim.cumulativeAmount,
        claim.proof,
      ),
      'NotAccount',
    );
    await send(chain.distributor, dave, 'claimAndStake', claim.account, claim.cumulativeAmount, claim.proof);
    const [staked] = await read<[bigint, bigint, bigint]>(chain.distributor, 'stakeOf', dave.address);
    expect(staked).toBe(ATH('2980'));
    expect(await balanceOf(chain.token, dave)).toBe(0n);
    expect(await read(chain.distributor, 'totalBonded')).toBe(ATH('2980'));
    expect(await balanceOf(chain.token, distributor)).toBe(ATH('2980'));
  });
});
