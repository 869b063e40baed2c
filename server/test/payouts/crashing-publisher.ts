/*
 * A broker's publisher that dies — SIGKILL, no cleanup, no finally — the moment it reaches a
 * given step of publishing one epoch. Run as its own process by epoch-publisher.test.ts, so
 * the crash is a real one: only what reached Redis and the chain survives it.
 */
import { NonceManager, Wallet } from 'ethers';
import pino from 'pino';
import { contractAt, createProvider } from '@edgeplay/chain';
import { EpochPublisher, type PublishStep } from '../../src/payouts/epoch-publisher.js';
import { RedisPublishStore } from '../../src/payouts/redis-publish-store.js';

interface CrashSpec {
  rpcUrl: string;
  chainId: number;
  distributor: string;
  publisherKey: string;
  redisUrl: string;
  keyPrefix: string;
  epoch: number;
  amounts: [string, string][];
  crashAt: PublishStep;
}

const spec = JSON.parse(process.env.CRASH_SPEC ?? '{}') as CrashSpec;
const provider = createProvider(spec.rpcUrl, spec.chainId);
const store = await RedisPublishStore.connect({ url: spec.redisUrl, keyPrefix: spec.keyPrefix });
const publisher = new EpochPublisher({
  store,
  signer: new NonceManager(new Wallet(spec.publisherKey, provider)),
  distributor: await contractAt('RewardDistributor', spec.distributor, provider),
  logger: pino({ level: 'silent' }),
  confirmations: 1,
  retries: 3,
  retryDelayMs: 100,
  timeoutMs: 10_000,
  pollMs: 50,
  leaseTtlMs: 1_000,
  onStep: (step) => {
    if (step === spec.crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
await publisher.publish(spec.epoch, new Map(spec.amounts.map(([operator, amount]) => [operator, BigInt(amount)])));
// Reaching this line means the crash step never came.
process.exit(3);
