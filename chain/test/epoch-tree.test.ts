import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getAddress, hexlify, randomBytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { buildEpochTree, MAX_CUMULATIVE_AMOUNT } from '../src/epoch-tree.js';

const randomAddress = (): string => getAddress(hexlify(randomBytes(20)));

/** Amounts across the whole range: zero, one unit, large, the largest allowed. */
function sampleAmounts(count: number): Map<string, bigint> {
  const amounts = new Map<string, bigint>();
  for (let i = 0; i < count; i += 1) {
    // Mixed spellings, as they may reach the ledger: checksummed, lower and upper case.
    const address = randomAddress();
    const spelled = i % 3 === 0 ? address : i % 3 === 1 ? address.toLowerCase() : `0x${address.slice(2).toUpperCase()}`;
    amounts.set(spelled, BigInt(i) ** 7n * 1_000_003n);
  }
  amounts.set(randomAddress(), 0n);
  amounts.set(randomAddress(), 1n);
  amounts.set(randomAddress(), MAX_CUMULATIVE_AMOUNT);
  return amounts;
}

async function expectInvalid(amounts: Map<string, bigint>, message: RegExp): Promise<void> {
  const error = await buildEpochTree(amounts).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isEdgePlayError(error, ErrorCode.INVALID_MESSAGE), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describe('buildEpochTree', () => {
  it('builds the same tree as @openzeppelin/merkle-tree: root, every proof, dump', async () => {
    const amounts = sampleAmounts(200);
    const tree = await buildEpochTree(amounts);
    const entries = [...amounts];
    const reference = StandardMerkleTree.of(
      entries.map(([account, amount]) => [account, amount]),
      ['address', 'uint256'],
    );
    expect(tree.root).toBe(reference.root);
    expect(tree.proofs.size).toBe(entries.length);
    entries.forEach(([account, amount], index) => {
      const claim = tree.proofs.get(account);
      expect(claim?.account).toBe(getAddress(account));
      expect(claim?.cumulativeAmount).toBe(amount);
      expect(claim?.proof).toEqual(reference.getProof(index));
      expect(StandardMerkleTree.verify(tree.root, ['address', 'uint256'], [account, amount], claim?.proof ?? [])).toBe(
        true,
      );
    });
    expect(tree.total).toBe(entries.reduce((sum, [, amount]) => sum + amount, 0n));

    // The dump is what operators fetch: the library loads it (re-hashing every node) and proves from it.
    const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(tree.dump())) as ReturnType<typeof tree.dump>);
    expect(loaded.root).toBe(tree.root);
    const [someone, theirAmount] = entries[123] as [string, bigint];
    expect(loaded.getProof([getAddress(someone), theirAmount.toString()])).toEqual(tree.proofs.get(someone)?.proof);
  }, 60_000); // the library is slow: ~1 ms a proof on this machine, much more when it is busy

  it('handles one operator (empty proof) and two', async () => {
    const alone = randomAddress();
    const one = await buildEpochTree(new Map([[alone, 5n]]));
    expect(one.proofs.get(alone)?.proof).toEqual([]);
    expect(one.root).toBe(StandardMerkleTree.of([[alone, 5n]], ['address', 'uint256']).root);
    const pair = new Map([
      [alone, 5n],
      [randomAddress(), 6n],
    ]);
    const two = await buildEpochTree(pair);
    expect(two.root).toBe(StandardMerkleTree.of([...pair], ['address', 'uint256']).root);
    expect(two.proofs.get(alone)?.proof).toHaveLength(1);
  });

  it('finds a claim under any spelling of the address, and none for an unknown one', async () => {
    const address = randomAddress();
    const tree = await buildEpochTree(new Map([[address.toLowerCase(), 10n]]));
    expect(tree.proofs.get(address)?.account).toBe(address);
    expect(tree.proofs.has(address.toUpperCase().replace('0X', '0x'))).toBe(true);
    expect(tree.proofs.get(randomAddress())).toBeUndefined();
    expect(tree.proofs.get('not an address')).toBeUndefined();
  });

  it('rejects bad input with a coded error naming the entry', async () => {
    const good = randomAddress();
    await expectInvalid(new Map(), /at least one/);
    await expectInvalid(new Map([['0x1234', 1n]]), /not an address: 0x1234/);
    // EIP-55's own example, checksummed, then with one letter's case flipped.
    const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    await expect(buildEpochTree(new Map([[checksummed, 1n]]))).resolves.toBeDefined();
    await expectInvalid(new Map([['0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 1n]]), /not an address: 0x5aaeb6/);
    await expectInvalid(
      new Map([
        [good, 1n],
        [good.toLowerCase(), 2n],
      ]),
      /appears twice/,
    );
    await expectInvalid(new Map([[good, -1n]]), /must be a bigint in \[0, 2\^128\)/);
    await expectInvalid(new Map([[good, MAX_CUMULATIVE_AMOUNT + 1n]]), /must be a bigint/);
    await expectInvalid(new Map([[good, 1 as unknown as bigint]]), /must be a bigint/);
  });
});
