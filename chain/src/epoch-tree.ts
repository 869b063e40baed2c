import type { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { ErrorCode, makeError } from '@edgeplay/shared';
import { checksumAddress, createKeccak256 } from './keccak.js';

/*
 * The Merkle tree of one epoch: every operator's cumulative ATH, exactly as
 * @openzeppelin/merkle-tree's StandardMerkleTree.of(values, ['address', 'uint256']) builds it —
 * leaf = keccak256(keccak256(abi.encode(account, amount))), leaves sorted by hash, nodes hash
 * their two children in ascending order, the tree stored as an array with the root at 0. The
 * library itself needs ~40 s for 100,000 operators on this machine (its ABI encoder and
 * pure-JS keccak), so the same algorithm runs here over flat buffers and a WebAssembly keccak;
 * the tests check root, proofs and dump against the library, and dump() loads into it.
 */

/** RewardDistributor keeps claimed totals in 128 bits. */
export const MAX_CUMULATIVE_AMOUNT = 2n ** 128n - 1n;

const LEAF_ENCODING = ['address', 'uint256'];

/** What StandardMerkleTree.dump() returns and StandardMerkleTree.load() reads (not exported by name). */
export type EpochTreeDump = ReturnType<StandardMerkleTree<[string, string]>['dump']>;
const WORD = 32;
const UINT64_MAX = 2n ** 64n - 1n;

export interface EpochClaim {
  /** EIP-55 checksummed. */
  account: string;
  /** Base units of ATH, cumulative since the first epoch. */
  cumulativeAmount: bigint;
  /** Sibling hashes from the leaf up, as RewardDistributor.claim takes them. */
  proof: string[];
}

export interface EpochProofs {
  /** The claim of `account` (any case), or undefined when it has no leaf. */
  get(account: string): EpochClaim | undefined;
  has(account: string): boolean;
  readonly size: number;
}

export interface EpochTree {
  root: string;
  /** Sum of every leaf's cumulative amount. */
  total: bigint;
  proofs: EpochProofs;
  /** The tree in @openzeppelin/merkle-tree's format: `StandardMerkleTree.load(dump)` reads it. */
  dump(): EpochTreeDump;
}

interface Leaf {
  account: string;
  amount: bigint;
  treeIndex: number;
}

/**
 * Builds the tree of `amounts` (operator address → cumulative base units). Throws an
 * INVALID_MESSAGE error naming the first bad entry: a malformed address or checksum, the same
 * address twice in different case, a negative amount or one above {@link MAX_CUMULATIVE_AMOUNT},
 * or no entries at all.
 */
export async function buildEpochTree(amounts: ReadonlyMap<string, bigint>): Promise<EpochTree> {
  const count = amounts.size;
  if (count === 0) throw makeError(ErrorCode.INVALID_MESSAGE, 'an epoch tree needs at least one operator');
  const keccak = await createKeccak256();
  const scratch = new Uint8Array(WORD);

  // Leaf hashes, in input order.
  const leafHashes = Buffer.alloc(count * WORD);
  const encoded = Buffer.alloc(2 * WORD); // abi.encode(address, uint256)
  const inner = Buffer.alloc(WORD);
  const leaves: Leaf[] = [];
  const byAccount = new Map<string, Leaf>();
  for (const [address, amount] of amounts) {
    const account = checksumAddress(address, keccak, scratch);
    if (account === undefined) throw makeError(ErrorCode.INVALID_MESSAGE, `not an address: ${String(address)}`);
    const key = account.toLowerCase();
    if (byAccount.has(key)) throw makeError(ErrorCode.INVALID_MESSAGE, `${account} appears twice`);
    if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_CUMULATIVE_AMOUNT) {
      throw makeError(ErrorCode.INVALID_MESSAGE, `amount of ${account} must be a bigint in [0, 2^128)`);
    }
    encoded.write(key.slice(2), 12, 'hex');
    encoded.writeBigUInt64BE(amount >> 64n, 48); // bytes 32..47 stay zero: amounts fit 128 bits
    encoded.writeBigUInt64BE(amount & UINT64_MAX, 56);
    keccak(encoded, inner, 0);
    keccak(inner, leafHashes, leaves.length * WORD);
    const leaf = { account, amount, treeIndex: -1 };
    leaves.push(leaf);
    byAccount.set(key, leaf);
  }

  // Leaves sorted by hash fill the end of the array, the smallest last.
  // Sorted on their first 48 bits as a number, all 256 only on a tie: ~2x faster than comparing buffers.
  const prefixes = new Float64Array(count);
  for (let i = 0; i < count; i += 1) prefixes[i] = leafHashes.readUIntBE(i * WORD, 6);
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort(
    (a, b) =>
      (prefixes[a] as number) - (prefixes[b] as number) ||
      leafHashes.compare(leafHashes, b * WORD, b * WORD + WORD, a * WORD, a * WORD + WORD),
  );
  const size = 2 * count - 1;
  const nodes = Buffer.alloc(size * WORD);
  order.forEach((leafIndex, rank) => {
    const treeIndex = size - 1 - rank;
    leafHashes.copy(nodes, treeIndex * WORD, leafIndex * WORD, leafIndex * WORD + WORD);
    (leaves[leafIndex] as Leaf).treeIndex = treeIndex;
  });

  // Every internal node hashes its children, smaller first. The two children are adjacent in
  // the array, so in order they are hashed in place; only a swapped pair is copied.
  const swapped = Buffer.alloc(2 * WORD);
  for (let i = size - 1 - count; i >= 0; i -= 1) {
    const left = (2 * i + 1) * WORD;
    const right = left + WORD;
    if (nodes.compare(nodes, left, right, right, right + WORD) >= 0) {
      keccak(nodes.subarray(left, right + WORD), nodes, i * WORD);
    } else {
      nodes.copy(swapped, 0, right, right + WORD);
      nodes.copy(swapped, WORD, left, right);
      keccak(swapped, nodes, i * WORD);
    }
  }

  const hexAt = (index: number): string => `0x${nodes.toString('hex', index * WORD, index * WORD + WORD)}`;
  const proofOf = (treeIndex: number): string[] => {
    const proof: string[] = [];
    for (let index = treeIndex; index > 0; index = (index - 1) >> 1) {
      proof.push(hexAt(index % 2 === 1 ? index + 1 : index - 1));
    }
    return proof;
  };
  const lookup = (account: string): Leaf | undefined =>
    typeof account === 'string' ? byAccount.get(account.toLowerCase()) : undefined;

  return {
    root: hexAt(0),
    total: leaves.reduce((sum, leaf) => sum + leaf.amount, 0n),
    proofs: {
      get(account) {
        const leaf = lookup(account);
        return leaf && { account: leaf.account, cumulativeAmount: leaf.amount, proof: proofOf(leaf.treeIndex) };
      },
      has: (account) => lookup(account) !== undefined,
      size: count,
    },
    dump: () => ({
      format: 'standard-v1',
      leafEncoding: LEAF_ENCODING,
      tree: Array.from({ length: size }, (_, index) => hexAt(index)),
      values: leaves.map((leaf) => ({ value: [leaf.account, leaf.amount.toString()], treeIndex: leaf.treeIndex })),
    }),
  };
}
