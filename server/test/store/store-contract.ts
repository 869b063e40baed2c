import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError, type GpuTier } from '@edgeplay/shared';
import {
  createSessionKey,
  importSessionPublicKey,
  signWithSessionKey,
  verifySessionSignature,
} from '@edgeplay/shared/node';
import type {
  CandidateQuery,
  Clock,
  EdgeRecord,
  PlacementQuery,
  QueueEntry,
  QueueRef,
  Store,
} from '../../src/store/store.js';

/** Two handles on one state: for Redis two connections, for memory the same instance. */
export interface StoreHandles {
  store: Store;
  peer: Store;
}

export type OpenStores = (clock: Clock) => Promise<StoreHandles>;

const T0 = 1_750_000_000_000;
const LEASE_MS = 10_000;
const TTL_MS = 5_000;

/** Real cities; the player asks from London. */
const CITIES = {
  london: { lat: 51.5074, lon: -0.1278 },
  paris: { lat: 48.8566, lon: 2.3522 },
  amsterdam: { lat: 52.3676, lon: 4.9041 },
  frankfurt: { lat: 50.1109, lon: 8.6821 },
  newYork: { lat: 40.7128, lon: -74.006 },
};

/** Great-circle km from London (haversine at Redis's earth radius, computed independently). */
const KM_FROM_LONDON = { paris: 343.65, amsterdam: 357.99, frankfurt: 637.95, newYork: 5571.79 };

/** The Ed25519 key an edge's join proof authorised, as edge-handlers.ts hands it to the Store. */
const SESSION_KEY = createSessionKey(60 * 60 * 1000, T0);

function edge(edgeId: string, city: keyof typeof CITIES, overrides: Partial<EdgeRecord> = {}): EdgeRecord {
  return {
    edgeId,
    signalingUrl: `https://${edgeId}.example.net:4100`,
    region: city,
    ...CITIES[city],
    titles: ['chess', 'tetris'],
    maxSessions: 2,
    gpuClass: 'rtx-4070',
    operator: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    sessionKey: SESSION_KEY.publicKeyRaw,
    sessionKeyExpiresAt: SESSION_KEY.expiresAt,
    ...overrides,
  };
}

const PLAYER_KEY = `0x${'ab'.repeat(32)}`;
const CHESS = { titleId: 'chess', region: 'eu-west' };
const TETRIS = { titleId: 'tetris', region: 'eu-west' };

function queueEntry(titleId = 'chess', overrides: Partial<QueueEntry> = {}): QueueEntry {
  return { entryId: randomUUID(), titleId, playerKey: PLAYER_KEY, region: 'eu-west', enqueuedAt: T0, ...overrides };
}

const near = (titleId = 'chess', limit = 10) => ({ titleId, ...CITIES.london, limit });

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isEdgePlayError(error) ? error.code : error).toBe(code);
}

/** The behaviour every Store must have; run it against each implementation. */
export function describeStoreContract(name: string, openStores: OpenStores): void {
  describe(`Store contract: ${name}`, () => {
    let now = T0;
    const clock: Clock = () => now;
    let store: Store;
    let peer: Store;

    const reserve = (on: Store, edgeId: string, sessionId: string = randomUUID(), ttlMs = TTL_MS) =>
      on.reserveSlot({ edgeId, sessionId, titleId: 'chess', ttlMs });

    beforeEach(async () => {
      now = T0;
      ({ store, peer } = await openStores(clock));
    });

    afterEach(async () => {
      await store.close();
      await peer.close();
    });

    describe('edges and leases', () => {
      it('registers an edge, refreshes it, and shows it to every handle', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        expect(await peer.getEdge('fra-1')).toEqual({ ...edge('fra-1', 'frankfurt'), leaseExpiresAt: T0 + LEASE_MS });

        now += 1_000;
        await peer.upsertEdge(edge('fra-1', 'frankfurt', { maxSessions: 4, titles: ['tetris'] }), LEASE_MS);
        expect(await store.getEdge('fra-1')).toMatchObject({
          maxSessions: 4,
          titles: ['tetris'],
          leaseExpiresAt: now + LEASE_MS,
        });
        expect(await store.getEdge('nobody')).toBeUndefined();
      });

      it('keeps the session key the join proof authorised, so what the edge signs verifies later', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        const receipt = Buffer.from('fra-1 served 60 s of chess');
        const signature = signWithSessionKey(SESSION_KEY, receipt);
        const stored = await peer.getEdge('fra-1');
        expect(stored).toMatchObject({ sessionKey: SESSION_KEY.publicKeyRaw, sessionKeyExpiresAt: T0 + 3_600_000 });
        const key = importSessionPublicKey(stored?.sessionKey ?? '');
        expect(verifySessionSignature(key, receipt, signature)).toBe(true);
        expect(verifySessionSignature(key, Buffer.from('fra-1 served 600 s of chess'), signature)).toBe(false);

        // Joining again authorises a new key: the stored one is replaced, and the old key's signatures no longer verify.
        const next = createSessionKey(60 * 60 * 1000, T0 + 1_000);
        now += 1_000;
        await store.upsertEdge(
          edge('fra-1', 'frankfurt', { sessionKey: next.publicKeyRaw, sessionKeyExpiresAt: next.expiresAt }),
          LEASE_MS,
        );
        const rejoined = await peer.getEdge('fra-1');
        expect(rejoined?.sessionKeyExpiresAt).toBe(T0 + 1_000 + 3_600_000);
        const nextKey = importSessionPublicKey(rejoined?.sessionKey ?? '');
        expect(verifySessionSignature(nextKey, receipt, signature)).toBe(false);
        expect(verifySessionSignature(nextKey, receipt, signWithSessionKey(next, receipt))).toBe(true);
      });

      it('renews a live lease only', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        now += LEASE_MS - 1;
        expect(await peer.renewLease('fra-1', LEASE_MS)).toBe(true);
        expect((await store.getEdge('fra-1'))?.leaseExpiresAt).toBe(now + LEASE_MS);

        now += LEASE_MS;
        expect(await store.getEdge('fra-1')).toBeUndefined();
        expect(await store.renewLease('fra-1', LEASE_MS)).toBe(false);
        expect(await store.renewLease('nobody', LEASE_MS)).toBe(false);
      });

      it('keeps the slots of an edge that re-registers before its lapsed lease is reaped', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        const sessionId = randomUUID();
        expect(await reserve(store, 'fra-1', sessionId)).toBe(true);
        expect(await store.confirmSlot(sessionId)).toBe(true);
        now += LEASE_MS;
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        expect(await store.slotsInUse('fra-1')).toBe(1);
        expect(await store.expireLeases(now)).toEqual([]);
      });

      it('refuses malformed input with INVALID_MESSAGE', async () => {
        await expectCode(store.upsertEdge(edge('bad:id', 'paris'), LEASE_MS), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.upsertEdge(edge('polar', 'paris', { lat: 89 }), LEASE_MS), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.upsertEdge(edge('par-1', 'paris'), 0), ErrorCode.INVALID_MESSAGE);
        await expectCode(
          store.upsertEdge(edge('par-1', 'paris', { sessionKey: '0x1234' }), LEASE_MS),
          ErrorCode.INVALID_MESSAGE,
        );
        await expectCode(
          store.upsertEdge(edge('par-1', 'paris', { sessionKeyExpiresAt: 0 }), LEASE_MS),
          ErrorCode.INVALID_MESSAGE,
        );
        await expectCode(store.findCandidates({ ...near(), limit: 0 }), ErrorCode.INVALID_MESSAGE);
        await expectCode(reserve(store, 'par-1', 'not-a-uuid'), ErrorCode.INVALID_MESSAGE);
      });
    });

    describe('candidates', () => {
      beforeEach(async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        await store.upsertEdge(edge('par-1', 'paris', { maxSessions: 1 }), LEASE_MS);
        await store.upsertEdge(edge('ams-1', 'amsterdam', { titles: ['tetris'] }), LEASE_MS);
        await peer.upsertEdge(edge('nyc-1', 'newYork', { maxSessions: 3 }), LEASE_MS * 2);
      });

      it('lists edges with the title nearest first, with free slots and distance', async () => {
        const found = await peer.findCandidates(near());
        expect(found.map((c) => c.edgeId)).toEqual(['par-1', 'fra-1', 'nyc-1']);
        expect(found.map((c) => c.freeSlots)).toEqual([1, 2, 3]);
        const expectedKm = [KM_FROM_LONDON.paris, KM_FROM_LONDON.frankfurt, KM_FROM_LONDON.newYork];
        found.forEach((c, i) => expect(Math.abs(c.distanceKm - (expectedKm[i] ?? NaN))).toBeLessThan(1));
        expect(found[0]).toEqual({
          edgeId: 'par-1',
          signalingUrl: 'https://par-1.example.net:4100',
          region: 'paris',
          maxSessions: 1,
          freeSlots: 1,
          distanceKm: expect.closeTo(KM_FROM_LONDON.paris, 0) as number,
          gpuTier: 'mid',
          reputation: 1,
        });

        expect((await store.findCandidates(near('tetris'))).map((c) => c.edgeId)).toEqual([
          'par-1',
          'ams-1',
          'fra-1',
          'nyc-1',
        ]);
        expect((await store.findCandidates(near('tetris', 2))).map((c) => c.edgeId)).toEqual(['par-1', 'ams-1']);
        expect(await store.findCandidates(near('doom'))).toEqual([]);
      });

      it("says each candidate's GPU tier and reputation, and leaves out edges below the asked minimum", async () => {
        // A little south of par-1, one after the other: farther from London, in this order.
        const south = (km: number) => ({ lat: CITIES.paris.lat - km / 111 });
        await store.upsertEdge(edge('par-2', 'paris', { gpuClass: 'cpu', ...south(2) }), LEASE_MS);
        await store.upsertEdge(edge('par-3', 'paris', { gpuClass: 'rtx-4090', ...south(4) }), LEASE_MS);
        const found = await peer.findCandidates(near());
        expect(found.map((c) => [c.edgeId, c.gpuTier, c.reputation])).toEqual([
          ['par-1', 'mid', 1],
          ['par-2', 'cpu', 1],
          ['par-3', 'top', 1],
          ['fra-1', 'mid', 1],
          ['nyc-1', 'mid', 1],
        ]);
        const ids = async (query: Partial<CandidateQuery>) =>
          (await store.findCandidates({ ...near(), ...query })).map((c) => c.edgeId);
        expect(await ids({ minGpuTier: 'cpu' })).toEqual(['par-1', 'par-2', 'par-3', 'fra-1', 'nyc-1']);
        expect(await ids({ minGpuTier: 'mid' })).toEqual(['par-1', 'par-3', 'fra-1', 'nyc-1']);
        expect(await ids({ minGpuTier: 'top' })).toEqual(['par-3']);
        // The limit counts qualifying edges only: the nearest ones that qualify come back.
        expect(await ids({ minGpuTier: 'high', limit: 1 })).toEqual(['par-3']);

        await peer.setReputation('par-1', 0.25);
        await store.setReputation('fra-1', 0.5);
        expect(await ids({ minReputation: 0.5 })).toEqual(['par-2', 'par-3', 'fra-1', 'nyc-1']);
        expect(await ids({ minReputation: 0.51, minGpuTier: 'mid' })).toEqual(['par-3', 'nyc-1']);
        expect(await ids({})).toEqual(['par-1', 'par-2', 'par-3', 'fra-1', 'nyc-1']);
        expect((await store.findCandidates(near()))[0]).toMatchObject({ edgeId: 'par-1', reputation: 0.25 });
      });

      it('keeps to a region when asked, and lists full edges too when asked', async () => {
        // Each edge's region is its city (see edge()).
        expect((await store.findCandidates({ ...near(), region: 'frankfurt' })).map((c) => c.edgeId)).toEqual([
          'fra-1',
        ]);
        expect(await peer.findCandidates({ ...near(), region: 'tokyo' })).toEqual([]);
        expect(await reserve(store, 'par-1')).toBe(true);
        expect((await peer.findCandidates({ ...near(), limit: 1 })).map((c) => c.edgeId)).toEqual(['fra-1']);
        const withFull = await peer.findCandidates({ ...near(), limit: 1, includeFull: true });
        expect(withFull.map((c) => [c.edgeId, c.region, c.freeSlots])).toEqual([['par-1', 'paris', 0]]);
        expect(
          (await store.findCandidates({ ...near(), includeFull: true, region: 'paris' })).map((c) => c.freeSlots),
        ).toEqual([0]);
      });

      it('leaves out full edges, lapsed leases and titles an edge dropped', async () => {
        expect(await reserve(store, 'par-1')).toBe(true);
        expect(await reserve(peer, 'fra-1')).toBe(true);
        let found = await store.findCandidates(near());
        expect(found.map((c) => [c.edgeId, c.freeSlots])).toEqual([
          ['fra-1', 1],
          ['nyc-1', 3],
        ]);

        await store.upsertEdge(edge('fra-1', 'frankfurt', { titles: ['tetris'] }), LEASE_MS);
        expect((await peer.findCandidates(near())).map((c) => c.edgeId)).toEqual(['nyc-1']);

        now += LEASE_MS;
        found = await peer.findCandidates(near('tetris'));
        expect(found.map((c) => c.edgeId)).toEqual(['nyc-1']);
      });
    });

    describe('reserveBest: rank and reserve in one step', () => {
      /** What reserveBest did, as the edge id or the reason. */
      const best = async (on: Store, query: Partial<PlacementQuery> = {}, sessionId: string = randomUUID()) => {
        const outcome = await on.reserveBest({ ...near(), limit: 5, ...query }, { sessionId, ttlMs: TTL_MS });
        return outcome.edge?.edgeId ?? outcome.reason;
      };

      beforeEach(async () => {
        // From London: Paris ~344 km and Amsterdam ~358 km share the first 5 ms band (~100 km per ms),
        // Frankfurt ~638 km is in the next, New York far beyond.
        await store.upsertEdge(edge('par-1', 'paris'), LEASE_MS);
        await store.upsertEdge(edge('ams-1', 'amsterdam'), LEASE_MS);
        await peer.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        await peer.upsertEdge(edge('nyc-1', 'newYork', { gpuClass: 'rtx-4090' }), LEASE_MS);
      });

      it('places by band, then load, then GPU fit, then distance, as candidate-score.ts ranks', async () => {
        expect(await best(store)).toBe('par-1'); // same band, idle, same fit: the nearer
        // par-1 now has 1 of 2 slots taken: the idle Amsterdam edge in the same band wins.
        expect(await best(peer)).toBe('ams-1');
        // Both half full: equal load again; a CPU-only edge fits a title without minimum best.
        await store.upsertEdge(edge('ams-1', 'amsterdam', { gpuClass: 'cpu' }), LEASE_MS);
        expect(await best(store)).toBe('ams-1'); // ams-1 at 2/2 is full after this
        expect(await best(peer)).toBe('par-1'); // the last slot in the first band
        expect(await best(store)).toBe('fra-1'); // the first band is full
        // A title for 'top' GPUs goes to New York only, and once that is full there is nothing.
        expect(await best(store, { minGpuTier: 'top' })).toBe('nyc-1');
        expect(await best(peer, { minGpuTier: 'top' })).toBe('nyc-1');
        expect(await best(peer, { minGpuTier: 'top' })).toBe('no-capacity');
      });

      it('places by the RTTs the page measured, passes over unreachable edges, and says when none answered', async () => {
        const probes = [
          { edgeId: 'par-1', rttMs: 31 },
          { edgeId: 'ams-1', rttMs: null },
          { edgeId: 'fra-1', rttMs: 4.5 },
        ];
        expect(await best(store, { probes })).toBe('fra-1');
        // Not measured (New York) counts by distance; unreachable never.
        expect(await best(peer, { probes: probes.map((p) => ({ ...p, rttMs: null })) })).toBe('nyc-1');
        expect(
          await best(store, {
            probes: ['par-1', 'ams-1', 'fra-1', 'nyc-1'].map((edgeId) => ({ edgeId, rttMs: null })),
          }),
        ).toBe('unreachable');
        expect(await best(store, { minGpuTier: 'top', probes: [{ edgeId: 'nyc-1', rttMs: null }] })).toBe(
          'unreachable',
        );
        expect(await best(store, { titleId: 'doom' })).toBe('no-capacity');
      });

      it('breaks a full tie by reputation, and never places under the reputation asked for', async () => {
        await store.upsertEdge(edge('par-2', 'paris'), LEASE_MS);
        await store.setReputation('par-1', 0.9);
        expect(await best(store)).toBe('par-2');
        await store.removeEdge('par-2');
        await store.upsertEdge(edge('par-2', 'paris'), LEASE_MS);
        await peer.setReputation('par-2', 0.8);
        expect(await best(peer)).toBe('par-1');
        await store.removeEdge('par-2');
        await store.setReputation('par-1', 0.4);
        await store.setReputation('ams-1', 0.4);
        expect(await best(store, { minReputation: 0.5 })).toBe('fra-1');
        expect(await best(store, { region: 'newYork' })).toBe('nyc-1');
      });

      it('takes a real pending slot, and none for a session that holds one', async () => {
        const sessionId = randomUUID();
        expect(await best(store, {}, sessionId)).toBe('par-1');
        expect(await peer.slotsInUse('par-1')).toBe(1);
        expect(await best(peer, {}, sessionId)).toBe('no-capacity');
        expect(await store.slotsInUse('ams-1')).toBe(0);
        expect(await peer.confirmSlot(sessionId)).toBe(true);
        expect(await store.releaseSlot(sessionId, 'ended')).toBe(true);
        // Unconfirmed, the reservation lapses after its ttl like any other.
        const lapsing = randomUUID();
        expect(await best(store, {}, lapsing)).toBe('par-1');
        now += TTL_MS;
        expect(await store.slotsInUse('par-1')).toBe(0);
        expect(await store.confirmSlot(lapsing)).toBe(false);
      });

      it('hands out exactly the free slots to 200 concurrent placements, never one twice', async () => {
        for (const edgeId of ['par-1', 'ams-1', 'fra-1', 'nyc-1']) await store.removeEdge(edgeId);
        await store.upsertEdge(edge('par-1', 'paris', { maxSessions: 3 }), LEASE_MS);
        await peer.upsertEdge(edge('ams-1', 'amsterdam', { maxSessions: 2 }), LEASE_MS);
        const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => best(i % 2 ? store : peer)));
        expect(outcomes.filter((o) => o === 'par-1')).toHaveLength(3);
        expect(outcomes.filter((o) => o === 'ams-1')).toHaveLength(2);
        expect(outcomes.filter((o) => o === 'no-capacity')).toHaveLength(195);
        expect(await store.slotsInUse('par-1')).toBe(3);
        expect(await peer.slotsInUse('ams-1')).toBe(2);
      });

      it('refuses malformed input with INVALID_MESSAGE', async () => {
        const claim = { sessionId: randomUUID(), ttlMs: TTL_MS };
        await expectCode(store.reserveBest({ ...near(), limit: 0 }, claim), ErrorCode.INVALID_MESSAGE);
        await expectCode(
          store.reserveBest({ ...near(), probes: [{ edgeId: 'bad:id', rttMs: 5 }] }, claim),
          ErrorCode.INVALID_MESSAGE,
        );
        await expectCode(store.reserveBest(near(), { ...claim, sessionId: 'nope' }), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.reserveBest(near(), { ...claim, ttlMs: 0 }), ErrorCode.INVALID_MESSAGE);
        expect(await store.slotsInUse('par-1')).toBe(0);
      });
    });

    describe('slots', () => {
      beforeEach(async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt', { maxSessions: 5 }), LEASE_MS);
      });

      it('reserves up to maxSessions and refuses beyond', async () => {
        for (let i = 0; i < 5; i += 1) expect(await reserve(i % 2 ? store : peer, 'fra-1')).toBe(true);
        expect(await reserve(store, 'fra-1')).toBe(false);
        expect(await peer.slotsInUse('fra-1')).toBe(5);
        expect(await peer.slotsInUse('nobody')).toBe(0);
      });

      it('refuses an unknown or lapsed edge, a title it lacks, and a session that holds a slot', async () => {
        const sessionId = randomUUID();
        expect(await reserve(store, 'nobody')).toBe(false);
        expect(await store.reserveSlot({ edgeId: 'fra-1', sessionId, titleId: 'doom', ttlMs: TTL_MS })).toBe(false);
        expect(await reserve(store, 'fra-1', sessionId)).toBe(true);
        expect(await reserve(peer, 'fra-1', sessionId)).toBe(false);
        expect(await store.slotsInUse('fra-1')).toBe(1);
        now += LEASE_MS;
        expect(await reserve(store, 'fra-1')).toBe(false);
      });

      it('grants exactly 5 of 200 concurrent reservations for 5 slots', async () => {
        const attempts = Array.from({ length: 200 }, (_, i) => reserve(i % 2 ? store : peer, 'fra-1'));
        const granted = (await Promise.all(attempts)).filter(Boolean);
        expect(granted).toHaveLength(5);
        expect(await store.slotsInUse('fra-1')).toBe(5);
        expect(await peer.slotsInUse('fra-1')).toBe(5);
      });

      it('frees a pending reservation that is not confirmed in time', async () => {
        const lapsing = randomUUID();
        await store.upsertEdge(edge('fra-1', 'frankfurt', { maxSessions: 1 }), LEASE_MS);
        expect(await reserve(store, 'fra-1', lapsing, 1_000)).toBe(true);
        now += 999;
        expect(await reserve(peer, 'fra-1')).toBe(false);
        expect(await peer.slotsInUse('fra-1')).toBe(1);
        now += 1;
        expect(await peer.slotsInUse('fra-1')).toBe(0);
        expect(await store.confirmSlot(lapsing)).toBe(false);
        expect(await store.releaseSlot(lapsing, 'cancelled')).toBe(false);
        expect(await reserve(peer, 'fra-1')).toBe(true);
        expect(await reserve(store, 'fra-1', lapsing)).toBe(false); // full again, not resurrected
      });

      it('confirms a reservation into a running session that outlives the ttl', async () => {
        const sessionId = randomUUID();
        expect(await reserve(store, 'fra-1', sessionId)).toBe(true);
        expect(await peer.confirmSlot(sessionId)).toBe(true);
        expect(await store.confirmSlot(sessionId)).toBe(true);
        now += TTL_MS + 1;
        expect(await store.slotsInUse('fra-1')).toBe(1);
        expect(await store.confirmSlot(randomUUID())).toBe(false);
        expect(await peer.releaseSlot(sessionId, 'ended')).toBe(true);
        expect(await store.slotsInUse('fra-1')).toBe(0);
      });

      it('releases a slot exactly once, also when releases race', async () => {
        const first = randomUUID();
        expect(await reserve(store, 'fra-1', first)).toBe(true);
        expect(await store.releaseSlot(first, 'ended')).toBe(true);
        expect(await peer.releaseSlot(first, 'ended')).toBe(false);

        const raced = randomUUID();
        expect(await reserve(store, 'fra-1', raced)).toBe(true);
        await store.confirmSlot(raced);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? store : peer).releaseSlot(raced, 'ended')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.slotsInUse('fra-1')).toBe(0);
      });
    });

    describe('reputation', () => {
      it("is 1 until set, reads back as set on every handle, and outlives the edge's registration", async () => {
        expect(await store.getReputation('fra-1')).toBe(1);
        await store.setReputation('fra-1', 0.3);
        expect(await peer.getReputation('fra-1')).toBe(0.3);
        await peer.setReputation('fra-1', 1e-7);
        expect(await store.getReputation('fra-1')).toBe(1e-7);

        await store.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        await store.setReputation('fra-1', 0.75);
        await store.removeEdge('fra-1');
        await peer.upsertEdge(edge('fra-1', 'frankfurt'), LEASE_MS);
        now += LEASE_MS;
        await store.expireLeases(now);
        expect(await store.getReputation('fra-1')).toBe(0.75);
        expect(await store.getReputation('par-1')).toBe(1);
      });

      it('refuses a reputation outside 0..1 or for a malformed edge id', async () => {
        await expectCode(store.setReputation('fra-1', 1.01), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.setReputation('fra-1', -0.1), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.setReputation('fra-1', Number.NaN), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.setReputation('bad:id', 0.5), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.getReputation('bad:id'), ErrorCode.INVALID_MESSAGE);
        await expectCode(store.findCandidates({ ...near(), minReputation: 2 }), ErrorCode.INVALID_MESSAGE);
        await expectCode(
          store.findCandidates({ ...near(), minGpuTier: 'rtx-4090' as GpuTier }),
          ErrorCode.INVALID_MESSAGE,
        );
        expect(await store.getReputation('fra-1')).toBe(1);
      });
    });

    describe('lease expiry and removal', () => {
      it('frees the slots of lapsed edges once, with two stores expiring at the same time', async () => {
        const sessions: Record<string, string[]> = {};
        for (const [edgeId, city] of [
          ['fra-1', 'frankfurt'],
          ['par-1', 'paris'],
          ['ams-1', 'amsterdam'],
        ] as const) {
          await store.upsertEdge(edge(edgeId, city, { maxSessions: 3 }), LEASE_MS);
          sessions[edgeId] = [randomUUID(), randomUUID()];
          for (const id of sessions[edgeId] ?? []) expect(await reserve(peer, edgeId, id, LEASE_MS * 5)).toBe(true);
        }
        await store.confirmSlot(sessions['fra-1']?.[0] ?? '');
        expect(await reserve(store, 'par-1', randomUUID(), 1_000)).toBe(true); // lapses first: freed silently
        await store.upsertEdge(edge('nyc-1', 'newYork'), LEASE_MS * 3);
        const survivor = randomUUID();
        expect(await reserve(store, 'nyc-1', survivor, LEASE_MS * 3)).toBe(true);

        now += LEASE_MS;
        const reports = (await Promise.all([store.expireLeases(now), peer.expireLeases(now)])).flat();
        expect(reports.map((r) => r.edgeId).sort()).toEqual(['ams-1', 'fra-1', 'par-1']);
        const freed = reports.flatMap((r) => r.sessionIds);
        expect(freed.sort()).toEqual(Object.values(sessions).flat().sort());
        for (const report of reports) expect(report.sessionIds.sort()).toEqual(sessions[report.edgeId]?.sort());

        expect(await store.expireLeases(now)).toEqual([]);
        expect(await peer.getEdge('fra-1')).toBeUndefined();
        expect(await peer.slotsInUse('fra-1')).toBe(0);
        expect(await store.releaseSlot(freed[0] ?? '', 'ended')).toBe(false);
        expect(await store.slotsInUse('nyc-1')).toBe(1);
        expect(await store.releaseSlot(survivor, 'ended')).toBe(true);
      });

      it('reports a session once when its release races with expiry or removal', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt', { maxSessions: 20 }), LEASE_MS);
        await store.upsertEdge(edge('par-1', 'paris', { maxSessions: 20 }), LEASE_MS * 2);
        const onFra = Array.from({ length: 10 }, () => randomUUID());
        const onPar = Array.from({ length: 10 }, () => randomUUID());
        for (const id of onFra) await reserve(store, 'fra-1', id, LEASE_MS * 5);
        for (const id of onPar) await reserve(store, 'par-1', id, LEASE_MS * 5);

        now += LEASE_MS;
        const [expired, ...released] = await Promise.all([
          peer.expireLeases(now),
          ...onFra.map((id, i) => (i % 2 ? store : peer).releaseSlot(id, 'ended')),
        ]);
        const reportedByExpiry = expired.flatMap((r) => r.sessionIds);
        onFra.forEach((id, i) => expect(Number(released[i]) + Number(reportedByExpiry.includes(id))).toBe(1));

        const [removed, ...releasedToo] = await Promise.all([
          store.removeEdge('par-1'),
          ...onPar.map((id) => peer.releaseSlot(id, 'ended')),
        ]);
        onPar.forEach((id, i) => expect(Number(releasedToo[i]) + Number(removed.includes(id))).toBe(1));
      });

      it('removes an edge with its slots and reports the sessions that held one', async () => {
        await store.upsertEdge(edge('fra-1', 'frankfurt', { maxSessions: 3 }), LEASE_MS);
        const [running, pending, lapsed] = [randomUUID(), randomUUID(), randomUUID()];
        await reserve(store, 'fra-1', running);
        await store.confirmSlot(running);
        await reserve(store, 'fra-1', pending, TTL_MS);
        await reserve(store, 'fra-1', lapsed, 100);
        now += 100;

        expect((await peer.removeEdge('fra-1')).sort()).toEqual([running, pending].sort());
        expect(await store.removeEdge('fra-1')).toEqual([]);
        expect(await store.getEdge('fra-1')).toBeUndefined();
        expect(await store.findCandidates(near())).toEqual([]);
        expect(await store.slotsInUse('fra-1')).toBe(0);
        expect(await store.releaseSlot(running, 'ended')).toBe(false);
        expect(await store.expireLeases(now + LEASE_MS)).toEqual([]);
      });
    });

    describe('queue', () => {
      it('queues in arrival order and tells each entry its position', async () => {
        const [a, b, c] = [queueEntry(), queueEntry(), queueEntry()];
        expect(await store.queueLength(CHESS)).toBe(0);
        expect(await store.enqueue(a)).toBe(1);
        expect(await peer.enqueue(b)).toBe(2);
        expect(await store.enqueue(c)).toBe(3);
        expect(await peer.queueLength(CHESS)).toBe(3);
        expect(await peer.queuePosition(CHESS, a.entryId)).toBe(1);
        expect(await store.queuePosition(CHESS, b.entryId)).toBe(2);
        expect(await peer.queuePosition(CHESS, c.entryId)).toBe(3);
        expect(await store.queuePosition(CHESS, randomUUID())).toBeUndefined();
        expect(await store.queuePosition({ ...CHESS, titleId: 'doom' }, a.entryId)).toBeUndefined();
      });

      it('enqueues an entry that is already queued once, keeping its place', async () => {
        const [a, b] = [queueEntry(), queueEntry()];
        expect(await store.enqueue(a)).toBe(1);
        expect(await store.enqueue(b)).toBe(2);
        expect(await peer.enqueue(a)).toBe(1);
        expect(await store.enqueue({ ...b, enqueuedAt: T0 + 5 })).toBe(2);
        expect(await store.queueLength(CHESS)).toBe(2);
        expect(await store.queueHead(CHESS, 10)).toEqual([a, b]);

        const raced = queueEntry();
        const positions = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? store : peer).enqueue(raced)),
        );
        expect(positions).toEqual(Array.from({ length: 20 }, () => 3));
        expect(await peer.queueLength(CHESS)).toBe(3);
      });

      it('moves later entries up when an earlier one leaves or is taken', async () => {
        const entries = Array.from({ length: 5 }, () => queueEntry());
        for (const entry of entries) await store.enqueue(entry);
        const [first, second, third, fourth, fifth] = entries.map((e) => e.entryId) as [
          string,
          string,
          string,
          string,
          string,
        ];

        expect(await peer.leaveQueue(CHESS, second)).toBe(true);
        expect(await store.queuePosition(CHESS, third)).toBe(2);
        expect(await store.queuePosition(CHESS, fifth)).toBe(4);
        expect(await store.queuePosition(CHESS, second)).toBeUndefined();

        expect(await store.takeFromQueue(CHESS, first)).toBe(true);
        expect(await peer.queuePosition(CHESS, third)).toBe(1);
        expect(await peer.queuePosition(CHESS, fourth)).toBe(2);
        expect(await peer.queueLength(CHESS)).toBe(3);

        const late = queueEntry();
        expect(await peer.enqueue(late)).toBe(4);
        expect((await store.queueHead(CHESS, 10)).map((e) => e.entryId)).toEqual([third, fourth, fifth, late.entryId]);
      });

      it('returns the head in order, at most count entries, as enqueued', async () => {
        const other = queueEntry('chess', { playerKey: `0x${'cd'.repeat(32)}`, enqueuedAt: T0 + 7 });
        const ordered: QueueEntry[] = [queueEntry(), other, queueEntry()];
        for (const entry of ordered) await (entry === other ? peer : store).enqueue(entry);

        expect(await peer.queueHead(CHESS, 2)).toEqual(ordered.slice(0, 2));
        expect(await store.queueHead(CHESS, 3)).toEqual(ordered);
        expect(await store.queueHead(CHESS, 100)).toEqual(ordered);
        expect(await store.queueHead({ ...CHESS, titleId: 'doom' }, 5)).toEqual([]);
        expect(await store.queueLength(CHESS)).toBe(3); // the head stays queued
      });

      it('lets exactly one of 50 concurrent takes of one entry succeed', async () => {
        const [head, next] = [queueEntry(), queueEntry()];
        await store.enqueue(head);
        await peer.enqueue(next);
        const takes = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? store : peer).takeFromQueue(CHESS, head.entryId)),
        );
        expect(takes.filter(Boolean)).toHaveLength(1);
        expect(await store.queueLength(CHESS)).toBe(1);
        expect(await peer.queuePosition(CHESS, next.entryId)).toBe(1);
        expect(await store.leaveQueue(CHESS, head.entryId)).toBe(false);
      });

      it('leaves a queue once', async () => {
        const entry = queueEntry();
        await store.enqueue(entry);
        expect(await peer.leaveQueue(CHESS, entry.entryId)).toBe(true);
        expect(await store.leaveQueue(CHESS, entry.entryId)).toBe(false);
        expect(await store.takeFromQueue(CHESS, entry.entryId)).toBe(false);
        expect(await store.leaveQueue(CHESS, randomUUID())).toBe(false);
        expect(await store.queueLength(CHESS)).toBe(0);
        expect(await store.queueHead(CHESS, 5)).toEqual([]);

        expect(await store.enqueue(entry)).toBe(1); // may queue again afterwards, at the back
      });

      it('keeps the queues of different titles apart', async () => {
        const chess = [queueEntry('chess'), queueEntry('chess')];
        const tetris = queueEntry('tetris');
        const shared = randomUUID();
        expect(await store.enqueue(chess[0] ?? queueEntry())).toBe(1);
        expect(await peer.enqueue(tetris)).toBe(1);
        expect(await store.enqueue(chess[1] ?? queueEntry())).toBe(2);
        expect(await store.enqueue(queueEntry('tetris', { entryId: shared }))).toBe(2);
        expect(await store.enqueue(queueEntry('chess', { entryId: shared }))).toBe(3);

        expect(await peer.queueLength(CHESS)).toBe(3);
        expect(await peer.queueLength(TETRIS)).toBe(2);
        expect(await store.queuePosition(TETRIS, chess[0]?.entryId ?? '')).toBeUndefined();
        expect(await store.takeFromQueue(TETRIS, chess[0]?.entryId ?? '')).toBe(false);
        expect(await store.takeFromQueue(TETRIS, shared)).toBe(true);
        expect(await peer.queuePosition(CHESS, shared)).toBe(3);
        expect((await peer.queueHead(TETRIS, 5)).map((e) => e.entryId)).toEqual([tetris.entryId]);
      });

      it('keeps one queue per title and region: positions and heads count only that region', async () => {
        const asia = { titleId: 'chess', region: 'ap-east' };
        const [eu1, eu2, eu3] = [queueEntry(), queueEntry(), queueEntry()];
        const [ap1, ap2] = [queueEntry('chess', { region: 'ap-east' }), queueEntry('chess', { region: 'ap-east' })];
        expect(await store.enqueue(eu1)).toBe(1);
        expect(await peer.enqueue(ap1)).toBe(1);
        expect(await store.enqueue(eu2)).toBe(2);
        expect(await peer.enqueue(ap2)).toBe(2);
        expect(await store.enqueue(eu3)).toBe(3);

        expect(await peer.queueLength(CHESS)).toBe(3);
        expect(await peer.queueLength(asia)).toBe(2);
        expect(await store.queuePosition(asia, ap2.entryId)).toBe(2);
        expect(await store.queuePosition(CHESS, ap2.entryId)).toBeUndefined();
        expect(await store.queuePosition(asia, eu1.entryId)).toBeUndefined();
        expect(await peer.queueHead(asia, 10)).toEqual([ap1, ap2]);
        expect(await peer.queueHead(CHESS, 10)).toEqual([eu1, eu2, eu3]);

        // Taking or leaving in one region moves only that region's line up.
        expect(await store.takeFromQueue(CHESS, ap1.entryId)).toBe(false);
        expect(await peer.takeFromQueue(asia, ap1.entryId)).toBe(true);
        expect(await store.queuePosition(asia, ap2.entryId)).toBe(1);
        expect(await store.queuePosition(CHESS, eu3.entryId)).toBe(3);
        expect(await store.leaveQueue(CHESS, eu1.entryId)).toBe(true);
        expect(await peer.queuePosition(CHESS, eu3.entryId)).toBe(2);
        expect(await peer.queuePosition(asia, ap2.entryId)).toBe(1);
        expect(await store.queueLength({ titleId: 'chess', region: 'us-east' })).toBe(0);
      });

      it('refuses malformed input with INVALID_MESSAGE', async () => {
        const bad = async (promise: Promise<unknown>) => expectCode(promise, ErrorCode.INVALID_MESSAGE);
        await bad(store.queueLength({ titleId: 'chess', region: 'eu:west' }));
        await bad(store.queueHead({ titleId: 'chess' } as QueueRef, 1));
        await bad(store.enqueue({ ...queueEntry(), region: undefined } as unknown as QueueEntry));
        await bad(store.enqueue(queueEntry('chess', { entryId: 'not-a-uuid' })));
        await bad(store.enqueue(queueEntry('Bad:Title')));
        await bad(store.enqueue(queueEntry('chess', { playerKey: '0x1234' })));
        await bad(store.enqueue(queueEntry('chess', { playerKey: `0x${'AB'.repeat(32)}` })));
        await bad(store.enqueue(queueEntry('chess', { region: 'eu:west' })));
        await bad(store.enqueue(queueEntry('chess', { enqueuedAt: 1.5 })));
        await bad(store.enqueue({ ...queueEntry(), extra: 1 } as QueueEntry));
        await bad(store.queuePosition(CHESS, 'nope'));
        await bad(store.queueLength({ ...CHESS, titleId: 'a:b' }));
        await bad(store.queueHead(CHESS, 0));
        await bad(store.queueHead(CHESS, 101));
        await bad(store.takeFromQueue(CHESS, 'nope'));
        await bad(store.leaveQueue({ ...CHESS, titleId: 'x' }, randomUUID()));
        expect(await store.queueLength(CHESS)).toBe(0);
      });
    });
  });
}
