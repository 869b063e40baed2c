import { Wallet, type HDNodeWallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEdgePlayError } from '@edgeplay/shared';
import { checkJoinProof, createChallenge, createSessionKey, signJoinProof } from '@edgeplay/shared/node';
import { JoinVerifyWorker } from '../src/edges/join-verify-worker.js';

const ORIGIN = 'http://127.0.0.1:8080';
const CHAIN_ID = 31337;

/** A join proof by `wallet` and what the broker's cheap checks make of it. */
async function proofBy(wallet: Wallet | HDNodeWallet, chainId = CHAIN_ID) {
  const challenge = createChallenge();
  const now = Date.now();
  const key = createSessionKey(60_000, now);
  const proof = await signJoinProof(wallet, {
    edgeId: 'edge-worker-test',
    challenge,
    sessionKey: key.publicKeyRaw,
    sessionKeyExpiresAt: key.expiresAt,
    brokerOrigin: ORIGIN,
    chainId,
  });
  return checkJoinProof(proof, {
    challenge,
    brokerOrigin: ORIGIN,
    chainId: CHAIN_ID,
    now,
    maxSessionKeyLifetimeMs: 120_000,
  });
}

describe('JoinVerifyWorker', () => {
  let worker: JoinVerifyWorker;
  const failures: Error[] = [];

  beforeAll(async () => {
    worker = await JoinVerifyWorker.start((error) => failures.push(error));
  });
  afterAll(async () => {
    await worker?.close();
  });

  it('recovers the operator who signed, for many proofs at once, each to its own signer', async () => {
    const wallets = Array.from({ length: 8 }, () => Wallet.createRandom());
    const checked = await Promise.all(wallets.map((wallet) => proofBy(wallet)));
    const signers = await Promise.all(checked.map(({ recovery }) => worker.recover(recovery)));
    expect(signers).toEqual(wallets.map((wallet) => wallet.address));
  });

  it('recovers someone else for a proof made for another chain, and refuses a broken signature with a code', async () => {
    const wallet = Wallet.createRandom();
    const { recovery } = await proofBy(wallet, 1);
    expect(await worker.recover(recovery)).not.toBe(wallet.address);
    const broken = { ...recovery, signature: `0x${'00'.repeat(65)}` };
    const refused = await worker.recover(broken).catch((error: unknown) => error);
    expect(isEdgePlayError(refused, 'UNAUTHORIZED')).toBe(true);
    expect(failures).toEqual([]);
  });

  it('still answers once its thread is gone, on the caller’s thread', async () => {
    const spare = await JoinVerifyWorker.start();
    await spare.close();
    const wallet = Wallet.createRandom();
    const { recovery } = await proofBy(wallet);
    expect(await spare.recover(recovery)).toBe(wallet.address);
  });
});
