import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Interface, type Contract } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '@edgeplay/chain';
import { EpochClosedSchema, ErrorCode, OperatorEarningsSchema, REWARD_DISTRIBUTOR_CLAIM_ABI } from '@edgeplay/shared';
import { EdgeTitles } from '../../src/catalog/edge-titles.js';
import { createHttpApp } from '../../src/http-app.js';
import type { EpochPublisher } from '../../src/payouts/epoch-publisher.js';
import { MemoryPublishStore } from '../../src/payouts/memory-publish-store.js';
import { OperatorEarningsReader } from '../../src/payouts/operator-earnings.js';
import type { PayoutRoutesDeps } from '../../src/payouts/payout-routes.js';
import { ATH, makePublisher, quietLogger, startPayoutChain, type PayoutChain } from './payout-chain.js';
import { ALICE, BOB, epochInput } from './publish-store-contract.js';
import { startRpcProxy } from './rpc-proxy.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

let chain: PayoutChain;
let store: MemoryPublishStore;
let publisher: EpochPublisher;
let closeProvider: () => void;
/** What the stand-in ledger returns on its next close. */
let ledgerAmounts = new Map<string, bigint>();

beforeAll(async () => {
  chain = await startPayoutChain();
  store = new MemoryPublishStore();
  const made = makePublisher(chain, store);
  publisher = made.publisher;
  closeProvider = () => made.provider.destroy();
}, 180_000);

afterAll(async () => {
  await publisher?.close();
  closeProvider?.();
  await chain?.close();
});

async function serve(deps: Omit<PayoutRoutesDeps, 'logger'>): Promise<{ url: string; close(): Promise<void> }> {
  const app = createHttpApp({
    clientDir: '/nonexistent',
    titles: new EdgeTitles(),
    payoutRoutes: { logger: quietLogger, ...deps },
  });
  const server: Server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function payoutsOn(distributor: Contract) {
  const chainInfo = {
    chainId: chain.anvil.chainId,
    distributor: chain.distributorAddress,
    token: ALICE, // not read by these routes
    rpcUrl: null,
  };
  return {
    chain: chainInfo,
    store,
    publisher,
    earnings: new OperatorEarningsReader({ store, distributor, chain: chainInfo, chainTimeoutMs: 1_000 }),
  };
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const closeEpoch = (url: string, token = ADMIN_TOKEN) =>
  getJson(`${url}/api/admin/epochs/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

describe('payout routes on the broker', () => {
  it('serves earnings and proofs that the contract pays out, epoch after epoch', async () => {
    const broker = await serve({
      payouts: payoutsOn(chain.distributor),
      adminToken: ADMIN_TOKEN,
      closeEpoch: () => Promise.resolve(ledgerAmounts),
    });
    try {
      const earningsOf = async (address: string) => {
        const { status, body } = await getJson(`${broker.url}/api/operators/${address}/earnings`);
        expect(status).toBe(200);
        return OperatorEarningsSchema.parse(body);
      };

      const before = await earningsOf(ALICE.toLowerCase());
      expect(before).toMatchObject({
        operator: ALICE,
        epochs: [],
        pending: 0n,
        claimed: 0n,
        claimable: 0n,
        proof: null,
      });

      ledgerAmounts = new Map([
        [ALICE, ATH('10')],
        [BOB, ATH('4')],
      ]);
      const closed = await closeEpoch(broker.url);
      expect(closed.status).toBe(200);
      expect(EpochClosedSchema.parse(closed.body).publish).toMatchObject({
        epoch: 1,
        status: 'confirmed',
        operators: 2,
      });

      const first = await earningsOf(ALICE);
      expect(first.epochs).toEqual([
        expect.objectContaining({
          epoch: 1,
          cumulative: ATH('10'),
          amount: ATH('10'),
          status: 'confirmed',
          verifiedMinutes: null,
        }),
      ]);
      expect(first).toMatchObject({ claimed: 0n, claimable: ATH('10'), pending: 0n, chainError: null });

      // The served proof is what the contract checks: claim with it (anyone may submit).
      const proof = first.proof!;
      const balance = (await chain.token.getFunction('balanceOf')(ALICE)) as bigint;
      const distributor = chain.distributor.connect(chain.admin) as Contract;
      await (await distributor.getFunction('claim')(ALICE, proof.cumulativeAmount, proof.proof)).wait();
      expect((await chain.token.getFunction('balanceOf')(ALICE)) as bigint).toBe(balance + ATH('10'));
      expect(await earningsOf(ALICE)).toMatchObject({ claimed: ATH('10'), claimable: 0n });

      ledgerAmounts = new Map([
        [ALICE, ATH('25')],
        [BOB, ATH('4')],
      ]);
      expect((await closeEpoch(broker.url)).status).toBe(200);
      // Epoch 3 is closed but not yet on chain: it counts as pending, and claims still use epoch 2's proof.
      await store.createEpoch(await epochInput(3, [[ALICE, ATH('26')]]), Date.now());
      const third = await earningsOf(ALICE);
      expect(third.epochs.map(({ epoch, amount, status }) => ({ epoch, amount, status }))).toEqual([
        { epoch: 1, amount: ATH('10'), status: 'confirmed' },
        { epoch: 2, amount: ATH('15'), status: 'confirmed' },
        { epoch: 3, amount: ATH('1'), status: 'pending' },
      ]);
      expect(third).toMatchObject({ claimed: ATH('10'), claimable: ATH('15'), pending: ATH('1') });
      expect(third.proof).toMatchObject({ epoch: 2, cumulativeAmount: ATH('25') });
      expect((await earningsOf(BOB)).claimable).toBe(ATH('4'));
    } finally {
      await broker.close();
    }
  });

  it('answers a bad address with a coded 400', async () => {
    const broker = await serve({ payouts: payoutsOn(chain.distributor) });
    try {
      for (const bad of ['0x1234', 'not-an-address', ALICE.replace('C5', 'c5'), `${ALICE}00`]) {
        const { status, body } = await getJson(`${broker.url}/api/operators/${bad}/earnings`);
        expect(status, bad).toBe(400);
        expect(body).toMatchObject({
          ok: false,
          code: ErrorCode.INVALID_MESSAGE,
          message: expect.stringMatching(/not an Ethereum address/),
        });
      }
    } finally {
      await broker.close();
    }
  });

  it('still shows recorded earnings when the chain does not answer, saying so', async () => {
    const proxy = await startRpcProxy(chain.anvil.url);
    const { createProvider } = await import('@edgeplay/chain');
    const provider = createProvider(proxy.url, chain.anvil.chainId);
    const broker = await serve({ payouts: payoutsOn(chain.distributor.connect(provider) as Contract) });
    try {
      proxy.cut();
      const { status, body } = await getJson(`${broker.url}/api/operators/${ALICE}/earnings`);
      expect(status).toBe(200);
      const earnings = OperatorEarningsSchema.parse(body);
      expect(earnings.epochs.length).toBeGreaterThan(0);
      expect(earnings).toMatchObject({
        claimed: null,
        claimable: null,
        proof: null,
        chainError: expect.stringMatching(/did not answer/),
      });
    } finally {
      await broker.close();
      provider.destroy();
      await proxy.close();
    }
  });

  it('keeps the admin routes behind ADMIN_TOKEN, and says when payouts or the ledger are missing', async () => {
    const calls: number[] = [];
    const ledger = () => {
      calls.push(1);
      return Promise.resolve(new Map([[ALICE, ATH('1')]]));
    };
    const guarded = await serve({ payouts: payoutsOn(chain.distributor), adminToken: ADMIN_TOKEN, closeEpoch: ledger });
    const open = await serve({ payouts: payoutsOn(chain.distributor), closeEpoch: ledger });
    const noLedger = await serve({ payouts: payoutsOn(chain.distributor), adminToken: ADMIN_TOKEN });
    const noChain = await serve({ adminToken: ADMIN_TOKEN, closeEpoch: ledger });
    try {
      expect(await closeEpoch(guarded.url, 'wrong-token-wrong-token')).toMatchObject({
        status: 401,
        body: { ok: false, code: ErrorCode.UNAUTHORIZED },
      });
      expect((await getJson(`${guarded.url}/api/admin/epochs/close`, { method: 'POST' })).status).toBe(401);
      expect(await closeEpoch(open.url)).toMatchObject({
        status: 401,
        body: { message: expect.stringMatching(/ADMIN_TOKEN/) },
      });
      expect(calls).toEqual([]);
      expect(await closeEpoch(noLedger.url)).toMatchObject({
        status: 503,
        body: { code: ErrorCode.CHAIN_UNAVAILABLE },
      });
      expect(await closeEpoch(noChain.url)).toMatchObject({ status: 503, body: { code: ErrorCode.CHAIN_UNAVAILABLE } });
      expect(await getJson(`${noChain.url}/api/operators/${ALICE}/earnings`)).toMatchObject({
        status: 503,
        body: { ok: false, code: ErrorCode.CHAIN_UNAVAILABLE, message: expect.stringMatching(/CHAIN_RPC_URL/) },
      });
      const listed = await getJson(`${guarded.url}/api/admin/epochs`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(listed.status).toBe(200);
      expect(listed.body.epochs).toEqual(
        expect.arrayContaining([expect.objectContaining({ epoch: 1, status: 'confirmed' })]),
      );
      expect(
        (
          await getJson(`${guarded.url}/api/admin/epochs/zero/retry`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          })
        ).status,
      ).toBe(400);
    } finally {
      await Promise.all([guarded.close(), open.close(), noLedger.close(), noChain.close()]);
    }
  });

  it('describes RewardDistributor to wallets exactly as it was compiled', async () => {
    const compiled = new Interface((await loadArtifact('RewardDistributor')).abi);
    const shared = new Interface(REWARD_DISTRIBUTOR_CLAIM_ABI);
    for (const fragment of shared.fragments) {
      const text = fragment.format('full');
      const match = compiled.fragments.find((other) => other.format('full') === text);
      expect(match, text).toBeDefined();
    }
  });
});
