import type { EpochTreeDump } from '@edgeplay/chain';
import { ErrorCode, makeError } from '@edgeplay/shared';

export interface TreeLeaf {
  account: string;
  cumulativeAmount: bigint;
  proof: string[];
}

/**
 * Proofs out of a stored tree dump (@openzeppelin/merkle-tree's standard-v1: the tree as an
 * array, root at 0, children of i at 2i+1 and 2i+2). A proof is the sibling of every node from
 * the leaf up; nothing is hashed, so serving one costs a lookup.
 */
export class TreeProofs {
  private readonly leaves = new Map<string, { account: string; amount: bigint; treeIndex: number }>();

  constructor(private readonly dump: EpochTreeDump) {
    for (const { value, treeIndex } of dump.values) {
      const [account, amount] = value;
      if (typeof account !== 'string' || !Number.isInteger(treeIndex) || dump.tree[treeIndex] === undefined) {
        throw makeError(ErrorCode.INTERNAL, 'corrupt epoch tree dump');
      }
      this.leaves.set(account.toLowerCase(), { account, amount: BigInt(amount), treeIndex });
    }
  }

  get root(): string {
    return this.dump.tree[0] ?? '';
  }

  leaf(account: string): TreeLeaf | undefined {
    const leaf = this.leaves.get(account.toLowerCase());
    if (!leaf) return undefined;
    const proof: string[] = [];
    for (let index = leaf.treeIndex; index > 0; index = (index - 1) >> 1) {
      proof.push(this.dump.tree[index % 2 === 1 ? index + 1 : index - 1] as string);
    }
    return { account: leaf.account, cumulativeAmount: leaf.amount, proof };
  }
}
