import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { placePlayer, type PlacementDeps } from '../src/players/placement.js';
import type { EdgeRecord, Store } from '../src/store/store.js';

/*
 * The simulated world of the placement benchmark and the load it puts on one broker
 * process: edges that heartbeat at the real rate, and players asking to be placed,
 * either at a fixed rate (open loop) or as fast as the broker answers (closed loop).
 */

export const EDGES = 10_000;
export const TITLES = Array.from({ length: 20 }, (_, i) => `title-${String(i).padStart(2, '0')}`);
export const TITLES_PER_EDGE = 3;
export const MAX_SESSIONS = 4;
export const LEASE_MS = 10_000;
export const HEARTBEAT_EVERY_MS = 3_000;
export const HOLD_MS = { min: 50, max: 500 };
/** Placements in flight beyond this are counted as dropped instead of started (the broker has fallen behind). */
const MAX_IN_FLIGHT = 5_000;
const OPERATOR = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

/** 60 large metros (lat, lon); five towns around each give 300 places for edges and players. */
// prettier-ignore
const METROS: [number, number][] = [
  [35.68, 139.69], [28.61, 77.21], [31.23, 121.47], [-23.55, -46.63], [19.43, -99.13], [30.04, 31.24],
  [19.08, 72.88], [39.9, 116.41], [23.81, 90.41], [34.69, 135.5], [40.71, -74.01], [24.86, 67.01],
  [-34.6, -58.38], [41.01, 28.98], [22.57, 88.36], [14.6, 120.98], [6.52, 3.38], [-22.91, -43.17],
  [34.05, -118.24], [55.76, 37.62], [48.86, 2.35], [51.51, -0.13], [4.71, -74.07], [-6.21, 106.85],
  [-12.05, -77.04], [13.76, 100.5], [37.57, 126.98], [35.18, 136.91], [35.69, 51.39], [41.88, -87.63],
  [10.82, 106.63], [22.32, 114.17], [1.35, 103.82], [24.71, 46.68], [40.42, -3.7], [43.65, -79.38],
  [52.52, 13.4], [-33.87, 151.21], [-37.81, 144.96], [-26.2, 28.05], [-1.29, 36.82], [-4.44, 15.27],
  [-33.45, -70.67], [29.76, -95.37], [32.78, -96.8], [25.76, -80.19], [33.75, -84.39], [47.61, -122.33],
  [37.77, -122.42], [49.28, -123.12], [45.5, -73.57], [52.23, 21.01], [41.9, 12.5], [45.46, 9.19],
  [52.37, 4.9], [59.33, 18.07], [50.45, 30.52], [25.2, 55.27], [33.57, -7.59], [-36.85, 174.76],
];

/** mulberry32: the same world on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = seededRandom(20_261_124);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const towns = METROS.flatMap(([lat, lon]) =>
  Array.from({ length: 5 }, () => ({ lat: lat + (random() - 0.5) * 4, lon: lon + (random() - 0.5) * 4 })),
);
/** A point within ±spread/2 degrees of a random town. */
const nearTown = (spread: number): { lat: number; lon: number } => {
  const town = pick(towns);
  return { lat: town.lat + (random() - 0.5) * spread, lon: town.lon + (random() - 0.5) * spread };
};

/** Players' session keys (the ticket is bound to one); made up front so the load costs the broker nothing. */
const PLAYER_KEYS = Array.from({ length: 1024 }, () => `0x${randomBytes(32).toString('hex')}`);

export function simulatedEdges(): EdgeRecord[] {
  return Array.from({ length: EDGES }, (_, i) => {
    const titles = new Set<string>();
    while (titles.size < TITLES_PER_EDGE) titles.add(pick(TITLES));
    const edgeId = `edge-${String(i).padStart(5, '0')}`;
    return {
      edgeId,
      operator: OPERATOR,
      signalingUrl: `http://${edgeId}.edges.test:8443/`,
      region: 'bench',
      ...nearTown(0.5),
      titles: [...titles],
      maxSessions: MAX_SESSIONS,
      gpuClass: 'bench',
      sessionKey: `0x${randomBytes(32).toString('hex')}`,
      sessionKeyExpiresAt: Date.now() + 24 * 60 * 60 * 1000,
    };
  });
}

/** Nearest rank, as the latency bench computes it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Collects the first failure (and counts the rest) so a run ends with a clear error, not a crash. */
export class Failures {
  count = 0;
  add = (error: unknown): void => {
    this.count += 1;
    if (this.count === 1) console.error('[placement-bench] first failure:', error);
  };
}

export interface Heartbeats {
  /** Latency of each renewal counted while `measuring`, ms from when it was due. */
  readonly latencies: number[];
  /** Renewals refused because the lease had lapsed (the edge then registers again). */
  lapsed: number;
  measuring: boolean;
  stop(): Promise<void>;
}

/**
 * Every edge renews its lease every HEARTBEAT_EVERY_MS, spread evenly: edge i at
 * i × 0.3 ms past each period. Late renewals are sent at once; their latency counts from
 * when they were due, as the edge's clock would see it.
 */
export function startHeartbeats(store: Store, edges: EdgeRecord[], failures: Failures): Heartbeats {
  const inFlight = new Set<Promise<void>>();
  const everyMs = HEARTBEAT_EVERY_MS / edges.length;
  const start = performance.now();
  let sent = 0;
  const beats: Heartbeats = {
    latencies: [],
    lapsed: 0,
    measuring: false,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - start) / everyMs);
    for (; sent < due; sent += 1) {
      const edge = edges[sent % edges.length] as EdgeRecord;
      const dueAt = start + sent * everyMs;
      const beat = store
        .renewLease(edge.edgeId, LEASE_MS)
        .then(async (renewed) => {
          if (beats.measuring) beats.latencies.push(performance.now() - dueAt);
          if (!renewed) {
            beats.lapsed += 1;
            await store.upsertEdge(edge, LEASE_MS);
          }
        })
        .catch(failures.add)
        .finally(() => inFlight.delete(beat));
      inFlight.add(beat);
    }
  }, 5);
  return beats;
}

/** What a stretch of placements measured. */
export interface PlacementWindow {
  /** Placements that completed, and their latencies (ms). */
  latencies: number[];
  noCapacity: number;
  /** Open loop only: arrivals not started because MAX_IN_FLIGHT were in flight. */
  dropped: number;
  windowMs: number;
}

/** Places players and gives each slot back after a random hold, as a session that ends would. */
export class PlayerLoad {
  private readonly releases = new Set<Promise<void>>();
  /** Sessions whose slots went with an edge whose lease lapsed (heartbeats late beyond the lease). */
  private readonly lostWithEdge = new Set<string>();
  /** Releases that found the slot gone because its edge's lease had lapsed. */
  lostSlots = 0;

  constructor(
    private readonly deps: PlacementDeps,
    private readonly failures: Failures,
  ) {}

  /** One placement; resolves with false when there was no capacity. Its slot is released later. */
  async placeOne(): Promise<boolean> {
    const request = { titleId: pick(TITLES), location: nearTown(2), playerKey: pick(PLAYER_KEYS) };
    try {
      const placement = await placePlayer(this.deps, request);
      this.holdThenRelease(placement.sessionId);
      return true;
    } catch (error) {
      if (!isEdgePlayError(error, ErrorCode.NO_CAPACITY)) this.failures.add(error);
      return false;
    }
  }

  /**
   * Open loop: players arrive at `perSecond`, evenly spaced, whatever the broker is doing.
   * A placement's latency runs from when it was due to arrive, so time the dispatcher
   * itself waited for the event loop counts too (no coordinated omission).
   */
  async openLoop(perSecond: number, durationMs: number): Promise<PlacementWindow> {
    const result: PlacementWindow = { latencies: [], noCapacity: 0, dropped: 0, windowMs: durationMs };
    const everyMs = 1000 / perSecond;
    const total = Math.floor(durationMs / everyMs);
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    let started = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor((performance.now() - start) / everyMs));
        for (; started < due; started += 1) {
          if (inFlight.size >= MAX_IN_FLIGHT) {
            result.dropped += 1;
            continue;
          }
          const dueAt = start + started * everyMs;
          const placement = this.placeOne()
            .then((placed) => {
              if (placed) result.latencies.push(performance.now() - dueAt);
              else result.noCapacity += 1;
            })
            .finally(() => inFlight.delete(placement));
          inFlight.add(placement);
        }
        if (started >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await Promise.all(inFlight);
    result.windowMs = performance.now() - start;
    return result;
  }

  /**
   * Closed loop: `concurrency` players each ask again as soon as they are placed. Each
   * request first waits for a turn of the event loop, as a socket read would, so timers
   * (heartbeats, releases) still run between placements on the memory store.
   */
  async closedLoop(concurrency: number, durationMs: number): Promise<PlacementWindow> {
    const result: PlacementWindow = { latencies: [], noCapacity: 0, dropped: 0, windowMs: durationMs };
    const start = performance.now();
    const loop = async (): Promise<void> => {
      while (performance.now() - start < durationMs && this.failures.count === 0) {
        const begin = performance.now();
        await new Promise((resolve) => setImmediate(resolve));
        if (await this.placeOne()) result.latencies.push(performance.now() - begin);
        else result.noCapacity += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    result.windowMs = performance.now() - start;
    return result;
  }

  /** Waits until every slot handed out so far has been released. */
  async drain(): Promise<void> {
    while (this.releases.size > 0) await Promise.all([...this.releases]);
  }

  /** The lease reaper freed these sessions' slots: their releases will find nothing, and that is no error. */
  edgesLapsed(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) this.lostWithEdge.add(sessionId);
  }

  private holdThenRelease(sessionId: string): void {
    const release = delay(HOLD_MS.min + random() * (HOLD_MS.max - HOLD_MS.min))
      .then(() => this.deps.store.releaseSlot(sessionId, 'ended'))
      .then((freed) => {
        if (freed) return;
        if (!this.lostWithEdge.has(sessionId)) throw new Error(`slot of ${sessionId} was gone before its release`);
        this.lostSlots += 1;
      })
      .catch(this.failures.add)
      .finally(() => this.releases.delete(release));
    this.releases.add(release);
  }
}
