import { setTimeout as delay } from 'node:timers/promises';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEpochTree } from '@edgeplay/chain';
import type { EpochInput, PublishStore } from '../../src/payouts/publish-store.js';

/** Two handles on one state: for Redis two connections, for memory the same instance. */
export interface PublishStoreHandles {
  store: PublishStore;
  peer: PublishStore;
}

export const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
export const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const T0 = 1_750_000_000_000;

export async function epochInput(epoch: number, amounts: [string, bigint][]): Promise<EpochInput> {
  const map = new Map(amounts);
  const tree = await buildEpochTree(map);
  return { epoch, root: tree.root, total: tree.total, amounts: map, dump: tree.dump() };
}

/** The behaviour every PublishStore must have; run it against each implementation. */
export function describePublishStoreContract(name: string, open: () => Promise<PublishStoreHandles>): void {
  describe(`PublishStore contract: ${name}`, () => {
    const opened: PublishStoreHandles[] = [];
    const handles = async (): Promise<PublishStoreHandles> => {
      const pair = await open();
      opened.push(pair);
      return pair;
    };

    afterEach(async () => {
      for (const { store, peer } of opened.splice(0)) {
        await store.close();
        if (peer !== store) await peer.close();
      }
    });

    it('records a closed epoch as pending, once: a second close of the same epoch changes nothing', async () => {
      const { store, peer } = await handles();
      const first = await epochInput(1, [
        [ALICE, 5n],
        [BOB, 7n],
      ]);
      const { created, record } = await store.createEpoch(first, T0);
      expect(created).toBe(true);
      expect(record).toMatchObject({
        epoch: 1,
        root: first.root,
        total: 12n,
        operators: 2,
        status: 'pending',
        txHashes: [],
        rawTx: null,
        nonce: null,
        blockNumber: null,
        error: null,
        createdAt: T0,
        revision: 1,
      });

      const other = await epochInput(1, [[ALICE, 9n]]);
      const again = await peer.createEpoch(other, T0 + 1);
      expect(again.created).toBe(false);
      expect(again.record.root).toBe(first.root);
      expect(await peer.amountsOf(ALICE, [1])).toEqual([5n]);
    });

    it('lists epochs oldest first and reads each operator’s cumulative amount in any letter case', async () => {
      const { store, peer } = await handles();
      await store.createEpoch(await epochInput(2, [[ALICE, 30n]]), T0);
      await store.createEpoch(
        await epochInput(1, [
          [ALICE, 10n],
          [BOB, 4n],
        ]),
        T0,
      );
      expect((await peer.list()).map((record) => record.epoch)).toEqual([1, 2]);
      expect(await peer.amountsOf(ALICE.toLowerCase(), [1, 2, 3])).toEqual([10n, 30n, undefined]);
      expect(await peer.amountsOf(BOB, [1, 2])).toEqual([4n, undefined]);
      expect(await peer.get(3)).toBeUndefined();
    });

    it('updates compare-and-set on the revision: a stale writer changes nothing', async () => {
      const { store, peer } = await handles();
      const { record } = await store.createEpoch(await epochInput(1, [[ALICE, 1n]]), T0);
      const hash = `0x${'ab'.repeat(32)}`;
      const submitted = await store.update(
        1,
        record.revision,
        { status: 'submitted', txHashes: [hash], rawTx: '0x02f8', nonce: 7 },
        T0 + 5,
      );
      expect(submitted).toMatchObject({
        status: 'submitted',
        txHashes: [hash],
        nonce: 7,
        revision: 2,
        updatedAt: T0 + 5,
      });
      expect(await peer.update(1, record.revision, { status: 'failed', error: 'late' }, T0 + 6)).toBeUndefined();
      expect(await peer.get(1)).toMatchObject({ status: 'submitted', error: null, revision: 2 });
      expect(await peer.update(1, 2, { status: 'confirmed', blockNumber: 12 }, T0 + 7)).toMatchObject({
        status: 'confirmed',
        blockNumber: 12,
        txHashes: [hash],
        revision: 3,
      });
      expect(await store.update(9, 1, { status: 'failed' }, T0)).toBeUndefined();
    });

    it('keeps the tree so proofs can be served: the dump loads into @openzeppelin/merkle-tree', async () => {
      const { store, peer } = await handles();
      const input = await epochInput(1, [
        [ALICE, 123n],
        [BOB, 456n],
      ]);
      await store.createEpoch(input, T0);
      const dump = await peer.treeDump(1);
      expect(dump).toEqual(input.dump);
      const tree = StandardMerkleTree.load(dump as never);
      expect(tree.root).toBe(input.root);
      expect(await peer.treeDump(2)).toBeUndefined();
    });

    it('lets one holder at a time have the publisher lease, until released or lapsed', async () => {
      const { store, peer } = await handles();
      expect(await store.acquireLease('a', 5_000)).toBe(true);
      expect(await peer.acquireLease('b', 5_000)).toBe(false);
      expect(await store.acquireLease('a', 5_000)).toBe(true); // renewal
      await peer.releaseLease('b'); // not b's to give up
      expect(await peer.acquireLease('b', 5_000)).toBe(false);
      await store.releaseLease('a');
      expect(await peer.acquireLease('b', 100)).toBe(true);
      expect(await store.acquireLease('a', 100)).toBe(false);
      await delay(250);
      expect(await store.acquireLease('a', 5_000)).toBe(true);
    });
  });
}
