import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Wallet, ZeroHash } from 'ethers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEpochTree } from '@edgeplay/chain';
import { ErrorCode } from '@edgeplay/shared';
import type { EpochPublisher, PublishStep } from '../../src/payouts/epoch-publisher.js';
import { MemoryPublishStore } from '../../src/payouts/memory-publish-store.js';
import type { PublishRecord, PublishStore } from '../../src/payouts/publish-store.js';
import { RedisPublishStore } from '../../src/payouts/redis-publish-store.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import {
  ATH,
  makePublisher,
  publisherTransactions,
  rootsPublished,
  startPayoutChain,
  type PayoutChain,
} from './payout-chain.js';
import { ALICE, BOB } from './publish-store-contract.js';
import { startRpcProxy, type RpcProxy } from './rpc-proxy.js';

const AMOUNTS = new Map([
  [ALICE, ATH('12.5')],
  [BOB, ATH('3')],
]);

let chain: PayoutChain;
let redis: RedisServer;
let snapshot: string;

beforeAll(async () => {
  [chain, redis] = await Promise.all([startPayoutChain(), startRedisServer()]);
}, 180_000);

afterAll(async () => {
  await Promise.all([chain?.close(), redis?.close()]);
});

// Every test starts from the freshly deployed contracts (anvil snapshots are single-use: take one per test).
beforeEach(async () => {
  snapshot = (await chain.provider.send('evm_snapshot', [])) as string;
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await chain.provider.send('evm_revert', [snapshot]);
});

function track(publisher: EpochPublisher, provider: { destroy(): void }): EpochPublisher {
  cleanups.push(async () => {
    await publisher.close();
    provider.destroy();
  });
  return publisher;
}

async function redisStore(prefix = `test-${randomUUID()}:`): Promise<RedisPublishStore> {
  const store = await RedisPublishStore.connect({ url: redis.url, keyPrefix: prefix });
  cleanups.push(() => store.close());
  return store;
}

async function rootOf(epoch: number): Promise<string> {
  return (await chain.distributor.getFunction('rootOf')(epoch)) as string;
}

/** Runs crashing-publisher.ts, which SIGKILLs itself at `crashAt`; resolves with how it ended. */
async function publishUntilCrash(prefix: string, crashAt: PublishStep): Promise<NodeJS.Signals | number | null> {
  const script = fileURLToPath(new URL('./crashing-publisher.ts', import.meta.url));
  const spec = {
    rpcUrl: chain.anvil.url,
    chainId: chain.anvil.chainId,
    distributor: chain.distributorAddress,
    publisherKey: chain.publisherKey,
    redisUrl: redis.url,
    keyPrefix: prefix,
    epoch: 1,
    amounts: [...AMOUNTS].map(([operator, amount]) => [operator, amount.toString()]),
    crashAt,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, CRASH_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return signal ?? code;
}

describe('EpochPublisher on a real anvil', () => {
  it('publishes an epoch root: pending → submitted → confirmed, recorded with its transaction', async () => {
    const store = new MemoryPublishStore();
    const steps: string[] = [];
    const { publisher, provider } = makePublisher(chain, store, { onStep: (step) => void steps.push(step) });
    track(publisher, provider);
    const tree = await buildEpochTree(AMOUNTS);

    const record = await publisher.publish(1, AMOUNTS);

    expect(record).toMatchObject({ epoch: 1, root: tree.root, status: 'confirmed', total: ATH('15.5'), operators: 2 });
    expect(record.txHashes).toHaveLength(1);
    expect(steps).toEqual(['submitted', 'broadcast', 'confirmed']);
    const receipt = await chain.provider.getTransactionReceipt(record.txHashes[0] as string);
    expect(receipt?.status).toBe(1);
    expect(record.blockNumber).toBe(receipt?.blockNumber);
    expect(await rootOf(1)).toBe(tree.root);
    expect(await publisherTransactions(chain)).toBe(1);
  });

  it('publishing an epoch again sends nothing; other amounts for a closed epoch are refused', async () => {
    const { publisher, provider } = makePublisher(chain, new MemoryPublishStore());
    track(publisher, provider);
    const first = await publisher.publish(1, AMOUNTS);
    const again = await publisher.publish(1, AMOUNTS);
    expect(again).toEqual(first);
    await expect(publisher.publish(1, new Map([[ALICE, ATH('99')]]))).rejects.toMatchObject({
      code: ErrorCode.EPOCH_STATE,
      message: expect.stringMatching(/already closed with another root/),
    });
    expect(await publisherTransactions(chain)).toBe(1);
  });

  it('closes epochs in order, asking the ledger each time, and never past what the contract holds', async () => {
    const { publisher, provider } = makePublisher(chain, new MemoryPublishStore());
    track(publisher, provider);
    const closes: number[] = [];
    const ledger = (amount: bigint) => () => {
      closes.push(closes.length + 1);
      return Promise.resolve(new Map([[ALICE, amount]]));
    };
    expect((await publisher.closeEpoch(ledger(ATH('1')))).epoch).toBe(1);
    expect((await publisher.closeEpoch(ledger(ATH('2')))).epoch).toBe(2);
    expect(await chain.distributor.getFunction('currentEpoch')()).toBe(2n);

    // A broker that lost its records (memory store, restarted) must not guess epoch numbers.
    const { publisher: amnesiac, provider: other } = makePublisher(chain, new MemoryPublishStore());
    track(amnesiac, other);
    await expect(amnesiac.closeEpoch(ledger(ATH('3')))).rejects.toMatchObject({
      code: ErrorCode.EPOCH_STATE,
      message: expect.stringMatching(/contract is at epoch 2 but this broker's records end at epoch 0/),
    });
    expect(closes).toEqual([1, 2]); // the refused close never asked the ledger
  });

  it('a crash after the transaction was sent: the restarted publisher finds it mined and sends nothing', async () => {
    const prefix = `test-${randomUUID()}:`;
    expect(await publishUntilCrash(prefix, 'broadcast')).toBe('SIGKILL');
    const store = await redisStore(prefix);
    const left = (await store.get(1)) as PublishRecord;
    expect(left.status).toBe('submitted');
    expect(left.txHashes).toHaveLength(1);
    expect(await publisherTransactions(chain)).toBe(1);

    const { publisher, provider } = makePublisher(chain, store);
    track(publisher, provider);
    const [resumed] = await publisher.resumeUnfinished();

    expect(resumed).toMatchObject({ epoch: 1, status: 'confirmed', txHashes: left.txHashes });
    expect(await publisherTransactions(chain)).toBe(1);
    expect(await rootsPublished(chain, 1)).toEqual([left.root]);
  });

  it('a crash after recording the signed transaction but before sending it: the restart sends those same bytes once', async () => {
    const prefix = `test-${randomUUID()}:`;
    expect(await publishUntilCrash(prefix, 'submitted')).toBe('SIGKILL');
    const store = await redisStore(prefix);
    const left = (await store.get(1)) as PublishRecord;
    expect(left.status).toBe('submitted');
    expect(await publisherTransactions(chain)).toBe(0);
    expect(await rootOf(1)).toBe(ZeroHash);

    const { publisher, provider } = makePublisher(chain, store);
    track(publisher, provider);
    const resumed = await publisher.resume(1);

    expect(resumed).toMatchObject({ status: 'confirmed', txHashes: left.txHashes });
    expect(await publisherTransactions(chain)).toBe(1);
    expect(await rootsPublished(chain, 1)).toEqual([left.root]);
  });

  describe('through an RPC endpoint that goes down', () => {
    let proxy: RpcProxy;
    beforeEach(async () => {
      proxy = await startRpcProxy(chain.anvil.url);
      cleanups.push(() => proxy.close());
    });

    it('retries while the RPC is down and publishes once when it is back', async () => {
      const { publisher, provider } = makePublisher(chain, new MemoryPublishStore(), { rpcUrl: proxy.url });
      track(publisher, provider);
      proxy.cut();
      const publishing = publisher.publish(1, AMOUNTS);
      await delay(1_500); // several retries fail meanwhile
      expect(await rootOf(1)).toBe(ZeroHash);
      proxy.restore();
      const record = await publishing;
      expect(record.status).toBe('confirmed');
      expect(await publisherTransactions(chain)).toBe(1);
      expect(await rootsPublished(chain, 1)).toHaveLength(1);
    });

    it('the RPC dies right after taking the transaction: the answer is lost, the root is still published once', async () => {
      const { publisher, provider } = makePublisher(chain, new MemoryPublishStore(), { rpcUrl: proxy.url });
      track(publisher, provider);
      proxy.loseAnswerTo('eth_sendRawTransaction');
      const record = await publisher.publish(1, AMOUNTS);
      expect(record.status).toBe('confirmed');
      expect(record.txHashes).toHaveLength(1);
      expect(proxy.methods.filter((method) => method === 'eth_sendRawTransaction')).toHaveLength(1);
      expect(await publisherTransactions(chain)).toBe(1);
    });

    it('gives a pending epoch up as failed when the RPC never comes back, and publishes it on retry', async () => {
      const store = new MemoryPublishStore();
      const { publisher, provider } = makePublisher(chain, store, { rpcUrl: proxy.url, retries: 2 });
      track(publisher, provider);
      proxy.cut();
      const failed = await publisher.publish(1, AMOUNTS);
      expect(failed).toMatchObject({
        status: 'failed',
        txHashes: [],
        error: expect.stringMatching(/gave up after 2 retries/),
      });
      await expect(publisher.closeEpoch(() => Promise.resolve(AMOUNTS))).rejects.toMatchObject({
        code: ErrorCode.EPOCH_STATE,
        message: expect.stringMatching(/epoch 1 failed to publish .*retry it/),
      });
      proxy.restore();
      expect(await publisher.retry(1)).toMatchObject({ status: 'confirmed' });
      expect(await publisherTransactions(chain)).toBe(1);
    });
  });

  it('waits for CONFIRMATIONS blocks before calling a root confirmed', async () => {
    const store = new MemoryPublishStore();
    const { publisher, provider } = makePublisher(chain, store, { confirmations: 2 });
    track(publisher, provider);
    const publishing = publisher.publish(1, AMOUNTS);
    await expect.poll(async () => (await store.get(1))?.status, { timeout: 10_000 }).toBe('submitted');
    await expect.poll(() => rootOf(1), { timeout: 10_000 }).not.toBe(ZeroHash);
    await delay(500);
    expect((await store.get(1))?.status).toBe('submitted'); // mined, one confirmation of two
    await chain.provider.send('evm_mine', []);
    expect(await publishing).toMatchObject({ status: 'confirmed' });
  });

  it('marks an epoch failed, with the contract’s reason, when the chain refuses it', async () => {
    const store = new MemoryPublishStore();
    const outsider = Wallet.createRandom();
    await chain.provider.send('anvil_setBalance', [outsider.address, '0xde0b6b3a7640000']);
    const { publisher, provider } = makePublisher({ ...chain, publisherKey: outsider.privateKey }, store);
    track(publisher, provider);
    const record = await publisher.publish(1, AMOUNTS);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/AccessControlUnauthorizedAccount/);
    expect(record.txHashes).toEqual([]);
  });

  it('one signer at a time: a publisher refuses while another process holds the lease', async () => {
    const store: PublishStore = await redisStore();
    expect(await store.acquireLease('another-broker', 60_000)).toBe(true);
    const { publisher, provider } = makePublisher(chain, store, { leaseTtlMs: 500 });
    track(publisher, provider);
    await expect(publisher.publish(1, AMOUNTS)).rejects.toMatchObject({
      code: ErrorCode.EPOCH_STATE,
      message: expect.stringMatching(/another broker process holds the publisher lease/),
    });
    expect(await store.get(1)).toBeUndefined();
    await store.releaseLease('another-broker');
    expect(await publisher.publish(1, AMOUNTS)).toMatchObject({ status: 'confirmed' });
  });
});
