import { id, type JsonRpcSigner } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceTime,
  ATH,
  balanceOf,
  expectRevert,
  FIXTURE_TIMEOUT_MS,
  MIN_STAKE,
  mintAndStake,
  read,
  send,
  startChain,
  UNBONDING_SECONDS,
  type ChainFixture,
} from './chain-fixture.js';

describe('OperatorStaking (in RewardDistributor) on anvil', () => {
  let chain: ChainFixture;
  let operator: JsonRpcSigner;
  let other: JsonRpcSigner;
  let distributor: string;

  beforeAll(async () => {
    chain = await startChain();
    [operator, other] = chain.accounts as [JsonRpcSigner, JsonRpcSigner];
    distributor = await chain.distributor.getAddress();
  }, FIXTURE_TIMEOUT_MS);

  afterAll(async () => {
    await chain?.close();
  });

  const stakeOf = (address: string) => read<[bigint, bigint, bigint]>(chain.distributor, 'stakeOf', address);
  const isRegistered = (address: string) => read<boolean>(chain.distributor, 'isRegistered', address);

  it('the owner mints dev ATH; nobody else can', async () => {
    await send(chain.token, chain.admin, 'mint', other.address, ATH('5'));
    expect(await balanceOf(chain.token, other)).toBe(ATH('5'));
    await expectRevert(
      chain.token,
      (chain.token.connect(other) as typeof chain.token).getFunction('mint')(other.address, ATH('5')),
      'OwnableUnauthorizedAccount',
    );
  });

  it('staking the minimum registers the operator', async () => {
    expect(await isRegistered(operator.address)).toBe(false);
    await mintAndStake(chain, operator, MIN_STAKE - 1n);
    expect(await isRegistered(operator.address)).toBe(false);
    await mintAndStake(chain, operator, 1n);
    expect(await isRegistered(operator.address)).toBe(true);
    expect(await stakeOf(operator.address)).toEqual([MIN_STAKE, 0n, 0n]);
    expect(await read(chain.distributor, 'totalBonded')).toBe(MIN_STAKE);
    expect(await balanceOf(chain.token, distributor)).toBe(MIN_STAKE);
    await expectRevert(chain.distributor, chain.distributor.getFunction('stake')(0), 'ZeroAmount');
  });

  it('unbonding deregisters at once and pays out only after the unbonding period', async () => {
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(operator) as typeof chain.distributor).getFunction('unbond')(MIN_STAKE + 1n),
      'InsufficientStake',
      [MIN_STAKE + 1n, MIN_STAKE],
    );
    const receipt = await send(chain.distributor, operator, 'unbond', ATH('400'));
    const block = await chain.provider.getBlock(receipt.blockNumber);
    const releaseAt = BigInt((block?.timestamp ?? 0) + UNBONDING_SECONDS);
    expect(await stakeOf(operator.address)).toEqual([ATH('600'), ATH('400'), releaseAt]);
    expect(await isRegistered(operator.address)).toBe(false);

    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(operator) as typeof chain.distributor).getFunction('withdraw')(),
      'StillUnbonding',
      [releaseAt],
    );
    await advanceTime(chain.provider, UNBONDING_SECONDS);
    const before = await balanceOf(chain.token, operator);
    await send(chain.distributor, operator, 'withdraw');
    expect((await balanceOf(chain.token, operator)) - before).toBe(ATH('400'));
    expect(await stakeOf(operator.address)).toEqual([ATH('600'), 0n, 0n]);
    expect(await read(chain.distributor, 'totalBonded')).toBe(ATH('600'));
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(operator) as typeof chain.distributor).getFunction('withdraw')(),
      'NothingUnbonding',
    );
  });

  it('only the publisher slashes; stake goes first, then unbonding; the evidence hash is in the event', async () => {
    const evidence = id('edge-7 offline 2026-11-30T10:00Z..11:00Z, 14 sessions dropped');
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(other) as typeof chain.distributor).getFunction('slash')(
        operator.address,
        ATH('1'),
        evidence,
      ),
      'AccessControlUnauthorizedAccount',
    );
    await send(chain.distributor, operator, 'unbond', ATH('100')); // 500 staked, 100 unbonding
    const receipt = await send(chain.distributor, chain.admin, 'slash', operator.address, ATH('550'), evidence);
    const slashed = receipt.logs.map((log) => chain.distributor.interface.parseLog(log)).find(Boolean);
    expect(slashed?.name).toBe('Slashed');
    expect([...(slashed?.args ?? [])]).toEqual([operator.address, ATH('550'), evidence]);
    expect((await stakeOf(operator.address)).slice(0, 2)).toEqual([0n, ATH('50')]);
    expect(await read(chain.distributor, 'totalBonded')).toBe(ATH('50'));

    // Asking for more than is left takes what is left; nothing left reverts.
    await send(chain.distributor, chain.admin, 'slash', operator.address, ATH('999'), evidence);
    expect((await stakeOf(operator.address)).slice(0, 2)).toEqual([0n, 0n]);
    await expectRevert(
      chain.distributor,
      chain.distributor.getFunction('slash')(operator.address, ATH('1'), evidence),
      'NothingToSlash',
      [operator.address],
    );
    // The slashed ATH stays in the contract as rewards: 600 held, none of it bonded.
    expect(await balanceOf(chain.token, distributor)).toBe(ATH('600'));
    expect(await read(chain.distributor, 'totalBonded')).toBe(0n);
  });

  it('pausing stops staking and unbonding but not slashing', async () => {
    await mintAndStake(chain, other, ATH('10'));
    await send(chain.distributor, chain.admin, 'pause');
    await send(chain.token, chain.admin, 'mint', other.address, ATH('1'));
    await send(chain.token, other, 'approve', distributor, ATH('1'));
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(other) as typeof chain.distributor).getFunction('stake')(ATH('1')),
      'EnforcedPause',
    );
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(other) as typeof chain.distributor).getFunction('unbond')(ATH('1')),
      'EnforcedPause',
    );
    await send(chain.distributor, chain.admin, 'slash', other.address, ATH('1'), id('fraud'));
    await send(chain.distributor, chain.admin, 'unpause');
    await send(chain.distributor, other, 'stake', ATH('1'));
    expect(await stakeOf(other.address)).toEqual([ATH('10'), 0n, 0n]);
  });

  it('only the admin grants roles; a granted publisher can publish', async () => {
    const publisherRole = await read<string>(chain.distributor, 'PUBLISHER_ROLE');
    await expectRevert(
      chain.distributor,
      (chain.distributor.connect(other) as typeof chain.distributor).getFunction('grantRole')(
        publisherRole,
        other.address,
      ),
      'AccessControlUnauthorizedAccount',
    );
    await send(chain.distributor, chain.admin, 'grantRole', publisherRole, other.address);
    await send(chain.distributor, other, 'publishRoot', 1, id('root of epoch 1'));
    expect(await read(chain.distributor, 'currentEpoch')).toBe(1n);
  });
});
