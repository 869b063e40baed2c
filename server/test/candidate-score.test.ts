import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError, type ProbeResult } from '@edgeplay/shared';
import { rankCandidates, REPUTATION_FLOOR, type TitleNeeds } from '../src/players/candidate-score.js';
import { placePlayer } from '../src/players/placement.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { EdgeCandidate, EdgeRecord } from '../src/store/store.js';
import { TicketIssuer } from '../src/tickets/ticket-issuer.js';

const PLAYER_KEY = `0x${'cd'.repeat(32)}`;
const LONDON = { lat: 51.5074, lon: -0.1278 };
const PARIS = { lat: 48.8566, lon: 2.3522 };

function record(edgeId: string, overrides: Partial<EdgeRecord> = {}): EdgeRecord {
  return {
    edgeId,
    operator: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    signalingUrl: `https://${edgeId}.example.net:4100`,
    region: 'eu-west',
    ...PARIS,
    titles: ['chess'],
    maxSessions: 4,
    gpuClass: 'rtx-4070',
    sessionKey: `0x${'5e'.repeat(32)}`,
    sessionKeyExpiresAt: 1_900_000_000_000,
    ...overrides,
  };
}

/** A candidate as the Store returns one: 4 slots, 3 free, 'mid' GPU, reputation 1, 300 km away. */
function candidate(edgeId: string, overrides: Partial<EdgeCandidate> = {}): EdgeCandidate {
  return { ...record(edgeId), freeSlots: 3, distanceKm: 300, gpuTier: 'mid', reputation: 1, ...overrides };
}

const order = (edges: EdgeCandidate[], probes?: ProbeResult[], needs?: TitleNeeds): string[] =>
  rankCandidates(edges, probes, needs).map((edge) => edge.edgeId);

describe('rankCandidates: each rule changes who comes first', () => {
  it('latency first: a faster edge beats a less loaded one with a better fit and reputation', () => {
    const fast = candidate('fast', { freeSlots: 1, gpuTier: 'top', reputation: 0.6 });
    const slow = candidate('slow', { freeSlots: 4 });
    const probes = [
      { edgeId: 'fast', rttMs: 8 },
      { edgeId: 'slow', rttMs: 31 },
    ];
    expect(order([slow, fast], probes)).toEqual(['fast', 'slow']);
    // An edge the page could not reach is not used; one it did not measure is ranked by its distance.
    expect(order([slow, fast], [{ edgeId: 'fast', rttMs: null }, ...probes.slice(1)])).toEqual(['slow']);
    const unmeasured = candidate('unmeasured', { distanceKm: 500 }); // ~5 ms
    expect(order([slow, unmeasured, fast], probes)).toEqual(['unmeasured', 'fast', 'slow']);
    // Without probes, distance stands in for RTT (~100 km per ms).
    expect(
      order([candidate('far', { distanceKm: 2000 }), candidate('near', { distanceKm: 40, freeSlots: 1 })]),
    ).toEqual(['near', 'far']);
  });

  it('then load: within one RTT band, the less loaded edge wins even if it measured slower', () => {
    const busy = candidate('busy', { freeSlots: 1 });
    const idle = candidate('idle', { freeSlots: 4 });
    const probes = [
      { edgeId: 'busy', rttMs: 10.2 },
      { edgeId: 'idle', rttMs: 14.6 },
    ];
    expect(order([busy, idle], probes)).toEqual(['idle', 'busy']);
    // Load is the share of slots in use: a 1-slot idle edge beats a 4-slot edge with one taken.
    expect(
      order(
        [candidate('big', { freeSlots: 3 }), candidate('small', { maxSessions: 1, freeSlots: 1 })],
        [
          { edgeId: 'big', rttMs: 10 },
          { edgeId: 'small', rttMs: 11 },
        ],
      ),
    ).toEqual(['small', 'big']);
  });

  it('then GPU fit: the edge closest above the title minimum wins, keeping the big GPU free', () => {
    const big = candidate('big', { gpuTier: 'top' });
    const fitting = candidate('fitting', { gpuTier: 'mid' });
    const probes = [
      { edgeId: 'big', rttMs: 11 },
      { edgeId: 'fitting', rttMs: 12 },
    ];
    expect(order([big, fitting], probes, { minGpuTier: 'mid' })).toEqual(['fitting', 'big']);
    expect(order([big, fitting], probes, { minGpuTier: 'high' })).toEqual(['big']);
    // A title with no minimum prefers a CPU-only edge to a GPU one.
    expect(order([fitting, candidate('cpu', { gpuTier: 'cpu' })], undefined)).toEqual(['cpu', 'fitting']);
  });

  it('then the exact latency, and last the reputation', () => {
    const probes = [
      { edgeId: 'a', rttMs: 12 },
      { edgeId: 'b', rttMs: 11 },
    ];
    expect(order([candidate('a'), candidate('b')], probes)).toEqual(['b', 'a']);
    const tied = [
      { edgeId: 'a', rttMs: 12 },
      { edgeId: 'b', rttMs: 12 },
    ];
    expect(order([candidate('a', { reputation: 0.7 }), candidate('b', { reputation: 0.9 })], tied)).toEqual(['b', 'a']);
    expect(order([candidate('a', { reputation: 0.9 }), candidate('b', { reputation: 0.7 })], tied)).toEqual(['a', 'b']);
  });

  it(`leaves out edges below the title's GPU tier or under the reputation floor (${REPUTATION_FLOOR})`, () => {
    const edges = [
      candidate('cpu', { gpuTier: 'cpu' }),
      candidate('distrusted', { reputation: REPUTATION_FLOOR - 0.01 }),
      candidate('ok', { distanceKm: 5000 }),
    ];
    expect(order(edges, undefined, { minGpuTier: 'entry' })).toEqual(['ok']);
  });
});

describe('placePlayer on a real store: who is placed', () => {
  const place = async (edges: EdgeRecord[], needs: TitleNeeds = {}, setup?: (store: MemoryStore) => Promise<void>) => {
    const store = new MemoryStore();
    for (const edge of edges) await store.upsertEdge(edge, 10_000);
    await setup?.(store);
    const deps = { store, tickets: await TicketIssuer.create(undefined, 30_000), logger: pino({ level: 'silent' }) };
    try {
      const placement = await placePlayer(deps, {
        titleId: 'chess',
        playerKey: PLAYER_KEY,
        location: LONDON,
        ...needs,
      });
      return placement.edge.edgeId;
    } catch (error) {
      return isEdgePlayError(error) ? error.code : String(error);
    } finally {
      await store.close();
    }
  };

  it('never places a title on an edge below its GPU tier, however near', async () => {
    const edges = [record('near-cpu', { gpuClass: 'cpu', ...LONDON }), record('paris-4070')];
    expect(await place(edges)).toBe('near-cpu');
    expect(await place(edges, { minGpuTier: 'mid' })).toBe('paris-4070');
    expect(await place(edges, { minGpuTier: 'top' })).toBe(ErrorCode.NO_CAPACITY);
  });

  it('keeps the big GPU for titles that need it when a fitting one is as near', async () => {
    const edges = [record('paris-4090', { gpuClass: 'rtx-4090' }), record('paris-3060', { gpuClass: 'rtx-3060' })];
    expect(await place(edges, { minGpuTier: 'entry' })).toBe('paris-3060');
    expect(await place(edges, { minGpuTier: 'high' })).toBe('paris-4090');
  });

  it('never places on an edge under the reputation floor, and breaks a full tie by reputation', async () => {
    const edges = [record('near', { ...LONDON }), record('paris-a'), record('paris-b')];
    expect(await place(edges)).toBe('near');
    const distrust = (edgeId: string, reputation: number) => async (store: MemoryStore) => {
      await store.setReputation('near', REPUTATION_FLOOR / 2);
      await store.setReputation(edgeId, reputation);
    };
    expect(await place(edges, {}, distrust('paris-a', 0.8))).toBe('paris-b');
    expect(await place(edges, {}, distrust('paris-b', 0.8))).toBe('paris-a');
  });
});
