import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as delay, setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { writeBenchSection } from '../../e2e/src/bench-report.js';
import { startLeaseReaper } from '../src/edges/lease-reaper.js';
import { placePlayer, type PlacementDeps } from '../src/players/placement.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { EdgeRecord, Store } from '../src/store/store.js';
import { TicketIssuer } from '../src/tickets/ticket-issuer.js';
import { startRedisServer } from '../test/store/redis-server.js';

/*
 * Placements per second and placement latency of one broker process, on the memory store
 * and on Redis, while 10,000 simulated edges heartbeat at the real rate. The load is made
 * in this process: players and edges call the Store and placePlayer() directly, without
 * sockets, so socket.io framing and message parsing are not counted. Run with
 * `node --import tsx server/bench/placement-bench.ts` (also the last step of `npm run bench`);
 * writes the `placement` section of docs/benchmarks.md. BENCH_STORES=memory or =redis
 * measures one store and prints without writing.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EDGES = 10_000;
const TITLES = Array.from({ length: 20 }, (_, i) => `title-${String(i).padStart(2, '0')}`);
const TITLES_PER_EDGE = 3;
const MAX_SESSIONS = 4;
const LEASE_MS = 10_000;
const HEARTBEAT_EVERY_MS = 3_000;
const REAPER_EVERY_MS = 1_000; // what the broker uses with a 10 s lease
const TICKET_TTL_MS = 30_000; // the broker's default
const WARMUP_MS = 2_000;
const MEASURE_MS = Number(process.env.BENCH_PLACEMENT_SECONDS ?? 10) * 1000;
const CONCURRENCY = 32;
const HOLD_MS = { min: 50, max: 500 };
const REGISTER_CONCURRENCY = 256;
const TARGET = { placementsPerSecond: 5_000, p99Ms: 10 };
const OPERATOR = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',');

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

/** Players' session keys (the ticket is bound to one); made up front so the load costs the broker nothing. */
const PLAYER_KEYS = Array.from({ length: 1024 }, () => `0x${randomBytes(32).toString('hex')}`);

/** mulberry32: the same edges and players on every run. */
function seededRandom(seed: number): () => number {
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

function simulatedEdges(): EdgeRecord[] {
  return Array.from({ length: EDGES }, (_, i) => {
    const titles = new Set<string>();
    while (titles.size < TITLES_PER_EDGE) titles.add(pick(TITLES));
    const edgeId = `edge-${String(i).padStart(5, '0')}`;
    const signalingUrl = `http://${edgeId}.edges.test:8443/`;
    const where = nearTown(0.5);
    return {
      edgeId,
      operator: OPERATOR,
      signalingUrl,
      region: 'bench',
      ...where,
      titles: [...titles],
      maxSessions: MAX_SESSIONS,
      gpuClass: 'bench',
      sessionKey: `0x${randomBytes(32).toString('hex')}`,
      sessionKeyExpiresAt: Date.now() + 24 * 60 * 60 * 1000,
    };
  });
}

/** Nearest rank, as the latency bench computes it. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** CPU time of another process (redis-server), in ms, from /proc. */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface StoreResult {
  store: string;
  registerMs: number;
  placementsPerSecond: number;
  placementMs: number[];
  noCapacity: number;
  heartbeatsPerSecond: number;
  heartbeatMs: number[];
  /** Heartbeats refused because the lease had lapsed (the edge registers again). */
  lapsed: number;
  eventLoopP99Ms: number;
  brokerCpu: number;
  redisCpu: number | undefined;
}

/** Registers the edges, keeps them heartbeating and places players for WARMUP_MS + MEASURE_MS. */
async function measure(name: string, store: Store, redisPid?: number): Promise<StoreResult> {
  const logger = pino({ level: 'info', base: { service: 'broker' } }, pino.destination({ dest: '/dev/null' }));
  const deps: PlacementDeps = { store, tickets: await TicketIssuer.create(undefined, TICKET_TTL_MS), logger };
  const edges = simulatedEdges();
  const registerStart = performance.now();
  await forEachLimited(edges, REGISTER_CONCURRENCY, (edge) => store.upsertEdge(edge, LEASE_MS));
  const registerMs = performance.now() - registerStart;

  let measuring = false;
  let running = true;
  const failures: unknown[] = [];
  const fail = (error: unknown): void => {
    if (failures.push(error) === 1) console.error(`[placement-bench] ${name}:`, error);
  };
  const placementMs: number[] = [];
  const heartbeatMs: number[] = [];
  let noCapacity = 0;
  let lapsed = 0;
  const reaper = startLeaseReaper({ store, intervalMs: REAPER_EVERY_MS, logger, onExpired: () => undefined });

  // Heartbeats: edge i renews at i × 0.3 ms past every 3 s; late ones are sent at once, and
  // their latency counts from when they were due, as an edge's clock would see it.
  const beatsInFlight = new Set<Promise<void>>();
  const beatEveryMs = HEARTBEAT_EVERY_MS / EDGES;
  const beatsStart = performance.now();
  let beatsSent = 0;
  const beatTimer = setInterval(() => {
    const due = Math.floor((performance.now() - beatsStart) / beatEveryMs);
    for (; beatsSent < due; beatsSent += 1) {
      const edge = edges[beatsSent % EDGES] as EdgeRecord;
      const dueAt = beatsStart + beatsSent * beatEveryMs;
      const beat = store
        .renewLease(edge.edgeId, LEASE_MS)
        .then(async (renewed) => {
          if (measuring) heartbeatMs.push(performance.now() - dueAt);
          if (!renewed) {
            lapsed += 1;
            await store.upsertEdge(edge, LEASE_MS);
          }
        })
        .catch(fail)
        .finally(() => beatsInFlight.delete(beat));
      beatsInFlight.add(beat);
    }
  }, 5);

  const releases = new Set<Promise<void>>();
  const holdThenRelease = (sessionId: string): void => {
    const release = delay(HOLD_MS.min + random() * (HOLD_MS.max - HOLD_MS.min))
      .then(() => store.releaseSlot(sessionId, 'ended'))
      .then((freed) => {
        if (!freed) throw new Error(`slot of ${sessionId} was gone before its release`);
      })
      .catch(fail)
      .finally(() => releases.delete(release));
    releases.add(release);
  };
  const placementLoop = async (): Promise<void> => {
    while (running && failures.length === 0) {
      const request = { titleId: pick(TITLES), location: nearTown(2), playerKey: pick(PLAYER_KEYS) };
      const start = performance.now();
      // The request arrives as I/O does, in a turn of its own. Without this, placements on the
      // memory store run on microtasks alone and no timer (heartbeats, releases, the end) ever fires.
      await nextTurn();
      try {
        const placement = await placePlayer(deps, request);
        if (measuring) placementMs.push(performance.now() - start);
        holdThenRelease(placement.sessionId);
      } catch (error) {
        if (!isEdgePlayError(error, ErrorCode.NO_CAPACITY)) return fail(error);
        if (measuring) noCapacity += 1;
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, placementLoop);

  await delay(WARMUP_MS);
  const eventLoop = monitorEventLoopDelay({ resolution: 5 });
  eventLoop.enable();
  const cpuStart = process.cpuUsage();
  const redisCpuStart = redisPid === undefined ? undefined : await processCpuMs(redisPid);
  const windowStart = performance.now();
  measuring = true;
  await delay(MEASURE_MS);
  measuring = false;
  const windowMs = performance.now() - windowStart;
  const cpu = process.cpuUsage(cpuStart);
  const redisCpuEnd = redisPid === undefined ? undefined : await processCpuMs(redisPid);
  eventLoop.disable();

  running = false;
  await Promise.all(loops);
  clearInterval(beatTimer);
  await Promise.all([...beatsInFlight, ...releases]);
  await reaper.stop();
  // Every placed slot was released: nothing may still be held.
  let held = 0;
  await forEachLimited(edges, REGISTER_CONCURRENCY, async (edge) => {
    const inUse = await store.slotsInUse(edge.edgeId);
    held += inUse;
  });
  if (held > 0) fail(new Error(`${held} slots still held after every release`));
  if (failures.length > 0) throw new Error(`${name}: ${failures.length} failures, the first printed above`);

  return {
    store: name,
    registerMs,
    placementsPerSecond: (placementMs.length * 1000) / windowMs,
    placementMs,
    noCapacity,
    heartbeatsPerSecond: (heartbeatMs.length * 1000) / windowMs,
    heartbeatMs,
    lapsed,
    eventLoopP99Ms: eventLoop.percentile(99) / 1e6,
    brokerCpu: (cpu.user + cpu.system) / 1000 / windowMs,
    redisCpu:
      redisCpuStart === undefined || redisCpuEnd === undefined ? undefined : (redisCpuEnd - redisCpuStart) / windowMs,
  };
}

async function measureRedis(): Promise<StoreResult> {
  const server = await startRedisServer();
  try {
    const store = await RedisStore.connect({ url: server.url });
    try {
      return await measure('Redis (loopback TCP)', store, server.pid);
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
  }
}

interface SigningRow {
  operation: string;
  medianMs: number;
  p90Ms: number;
}

/** shared/bench/signing-bench.ts in a process of its own, so nothing else runs beside it. */
async function signingCosts(): Promise<SigningRow[]> {
  const script = join(ROOT, 'shared', 'bench', 'signing-bench.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: ROOT });
  const rows = stdout
    .split('\n')
    .map((line) => /^(\S.*\S)\s+(\d+\.\d+)\s+(\d+\.\d+)$/.exec(line.trimEnd()))
    .filter((match) => match !== null)
    .map(([, operation = '', median = '', p90 = '']) => ({ operation, medianMs: Number(median), p90Ms: Number(p90) }));
  if (rows.length !== 4) throw new Error(`signing bench printed ${rows.length} rows, expected 4:\n${stdout}`);
  return [...rows, await ticketCost()];
}

/** What placePlayer() signs per placement: a ticket (zod check, JSON, Ed25519), 2,000 times. */
async function ticketCost(): Promise<SigningRow> {
  const tickets = await TicketIssuer.create(undefined, TICKET_TTL_MS);
  const playerKey = pick(PLAYER_KEYS);
  const samples: number[] = [];
  for (let i = 0; i < 2_050; i += 1) {
    const start = performance.now();
    tickets.issue('edge-00001', 'title-01', playerKey);
    if (i >= 50) samples.push(performance.now() - start);
  }
  const p90 = percentile(samples, 90);
  return {
    operation: 'Ed25519 ticket, TicketIssuer.issue (zod + JSON + sign)',
    medianMs: percentile(samples, 50),
    p90Ms: p90,
  };
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '–');
const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const meets = (r: StoreResult): boolean =>
  r.placementsPerSecond >= TARGET.placementsPerSecond && percentile(r.placementMs, 99) <= TARGET.p99Ms;

function report(results: StoreResult[], signing: SigningRow[], redisVersion: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const lines = [
    '## Placement throughput',
    '',
    `Measured by \`node --import tsx server/bench/placement-bench.ts\` (the last step of \`npm run bench\`) on ${date}:`,
    `${machine}, Node ${process.version}, ${redisVersion}, on the same machine.`,
    '',
    `One Node process is the broker and makes the load **in-process**: simulated edges and players call the Store`,
    'and the real `placePlayer()` directly, with no sockets between them and the broker, so socket.io framing and',
    'message parsing are not counted. The Redis store talks to a real `redis-server` over loopback TCP, on one',
    'connection as the broker has. Both share the 2 cores with the load generator.',
    '',
    `- ${count(EDGES)} edges around 300 towns near 60 large metros, each offering ${TITLES_PER_EDGE} of ${TITLES.length} titles,`,
    `  maxSessions ${MAX_SESSIONS}, lease ${LEASE_MS / 1000} s. Every edge renews its lease every ${HEARTBEAT_EVERY_MS / 1000} s, spread evenly`,
    `  (${count((EDGES * 1000) / HEARTBEAT_EVERY_MS)} \`renewLease\`/s); a heartbeat's latency counts from when it was due, so`,
    '  time spent waiting for the event loop is included. The lease reaper runs every second, as in the broker.',
    `- ${CONCURRENCY} concurrent loops each place a player (random title, random spot within ~100 km of a random town,`,
    '  no probes: nearest edge first) through `placePlayer()`: `findCandidates`, `reserveSlot`, an Ed25519 ticket',
    `  from a real \`TicketIssuer\`, and its info log line (to /dev/null). Each slot is released after a random`,
    `  ${HOLD_MS.min}–${HOLD_MS.max} ms hold. ${WARMUP_MS / 1000} s warm-up, then ${MEASURE_MS / 1000} s measured. A request enters the event loop`,
    '  as a socket read would (`setImmediate`) and its latency runs from there to the placement, so it includes',
    `  waiting behind the other ${CONCURRENCY - 1} requests, the heartbeats and the releases.`,
    '',
    '| store | placements/s | p50 ms | p95 ms | p99 ms | max ms | no capacity | heartbeats/s served | heartbeat p50 ms | heartbeat p99 ms | lapsed leases | event-loop delay p99 ms | broker CPU | redis-server CPU | register 10k edges |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const p = (values: number[], q: number): string => ms(percentile(values, q));
    const cpu = (share: number | undefined): string => (share === undefined ? '–' : `${(share * 100).toFixed(0)} %`);
    lines.push(
      `| ${r.store} | ${count(r.placementsPerSecond)} | ${p(r.placementMs, 50)} | ${p(r.placementMs, 95)} | ${p(r.placementMs, 99)} | ${p(r.placementMs, 100)} | ${r.noCapacity} | ${count(r.heartbeatsPerSecond)} | ${p(r.heartbeatMs, 50)} | ${p(r.heartbeatMs, 99)} | ${r.lapsed} | ${ms(r.eventLoopP99Ms)} | ${cpu(r.brokerCpu)} | ${cpu(r.redisCpu)} | ${(r.registerMs / 1000).toFixed(1)} s |`,
    );
  }
  lines.push(
    '',
    `CPU is % of one core. Target: at least ${count(TARGET.placementsPerSecond)} placements/s with p99 ≤ ${TARGET.p99Ms} ms.`,
    '',
  );
  for (const r of results) {
    const verdict = meets(r) ? '**met**' : '**not met**';
    lines.push(
      `- ${r.store}: ${verdict} (${count(r.placementsPerSecond)}/s, p99 ${ms(percentile(r.placementMs, 99))} ms).`,
    );
  }
  lines.push(
    '',
    '### Signing costs',
    '',
    'Medians over 2,000 iterations each, after 50 warm-up ones, with nothing else running: the first four by',
    '`shared/bench/signing-bench.ts` in a process of its own; the last is the ticket `placePlayer()` signs.',
    '',
    '| operation | median ms | p90 ms |',
    '| --- | --- | --- |',
    ...signing.map((row) => `| ${row.operation} | ${row.medianMs.toFixed(4)} | ${row.p90Ms.toFixed(4)} |`),
    '',
  );
  return lines.join('\n');
}

const results: StoreResult[] = [];
for (const store of STORES) {
  console.log(`[placement-bench] ${store}: ${EDGES} edges, ${CONCURRENCY} placement loops, ${MEASURE_MS / 1000} s…`);
  if (store === 'memory') results.push(await measure('memory', new MemoryStore()));
  else if (store === 'redis') results.push(await measureRedis());
  else throw new Error(`BENCH_STORES: unknown store "${store}" (memory, redis)`);
}
console.log('[placement-bench] signing costs…');
const signing = await signingCosts();
const { stdout: redisVersion } = await promisify(execFile)('/usr/bin/redis-server', ['--version']);
const markdown = report(results, signing, `redis-server ${/v=(\S+)/.exec(redisVersion)?.[1] ?? '?'}`);
console.log(markdown);
if (STORES.join(',') === 'memory,redis')
  await writeBenchSection(join(ROOT, 'docs', 'benchmarks.md'), 'placement', markdown);
else console.log('[placement-bench] not all stores measured: docs/benchmarks.md left as it was');
