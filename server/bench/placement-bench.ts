import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { writeBenchSection } from '../../e2e/src/bench-report.js';
import { startLeaseReaper } from '../src/edges/lease-reaper.js';
import type { PlacementDeps } from '../src/players/placement.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { TicketIssuer } from '../src/tickets/ticket-issuer.js';
import { startRedisServer } from '../test/store/redis-server.js';
import { BROKER_NODE_FLAGS } from '../src/node-flags.js';
import {
  EDGES,
  Failures,
  forEachLimited,
  HEARTBEAT_EVERY_MS,
  HOLD_MS,
  LEASE_MS,
  MAX_SESSIONS,
  percentile,
  PlayerLoad,
  simulatedEdges,
  startHeartbeats,
  TITLES,
  TITLES_PER_EDGE,
  type PlacementWindow,
} from './placement-load.js';

/*
 * Placement rate and latency of one broker process, on the memory store and on Redis,
 * while 10,000 simulated edges heartbeat at the real rate. The load is made in this
 * process (placement-load.ts): players and edges call the Store and placePlayer()
 * directly, without sockets, so socket.io framing and message parsing are not counted.
 * Each store is measured BENCH_RUNS times (default 3) and the median of each figure is
 * reported. Run with `node --import tsx server/bench/placement-bench.ts` (also the last
 * step of `npm run bench`); writes the `placement` section of docs/benchmarks.md.
 * BENCH_STORES=memory or =redis measures one store and prints without writing;
 * BENCH_SIGN=inline signs tickets on the event loop instead of the broker's worker thread.
 * The bench runs itself again under the broker's V8 flags (BROKER_NODE_FLAGS) if started
 * without them.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAPER_EVERY_MS = 1_000; // what the broker uses with a 10 s lease
const TICKET_TTL_MS = 30_000; // the broker's default
const REGISTER_CONCURRENCY = 256;
const TARGET = { placementsPerSecond: 5_000, p99Ms: 10 };
const WARMUP_MS = 2_000;
const MEASURE_MS = Number(process.env.BENCH_PLACEMENT_SECONDS ?? 10) * 1000;
const SATURATION_MS = 5_000;
const CONCURRENCY = 32;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',');

interface RunResult {
  /** The machine's 1-minute load average when the run began: other work sharing the cores. */
  loadAverage: number;
  registerMs: number;
  open: PlacementWindow;
  heartbeatsPerSecond: number;
  heartbeatP99Ms: number;
  lapsed: number;
  /** Slots freed by the lease reaper before their session released them. */
  lostSlots: number;
  eventLoopP99Ms: number;
  /** Share of one core used by the broker process (with its load generator) during the open loop. */
  brokerCpu: number;
  /** Share of the open loop's wall time the event loop was busy (the broker's main thread). */
  eventLoopUtilization: number;
  redisCpu: number | undefined;
  saturated: PlacementWindow;
}

/** CPU time of another process (redis-server), in ms, from /proc. */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const rate = (window: PlacementWindow): number => (window.latencies.length * 1000) / window.windowMs;

/** Registers the edges, keeps them heartbeating, then places players: at the target rate, then flat out. */
async function measureRun(store: Store, redisPid?: number): Promise<RunResult> {
  const loadAverage = loadavg()[0] ?? NaN;
  const logger = pino({ level: 'info', base: { service: 'broker' } }, pino.destination({ dest: '/dev/null' }));
  // As the broker does: tickets are signed on a worker thread.
  const tickets = await TicketIssuer.create(undefined, TICKET_TTL_MS, {
    signOnWorker: process.env.BENCH_SIGN !== 'inline',
  });
  const deps: PlacementDeps = { store, tickets, logger };
  const edges = simulatedEdges();
  const registerStart = performance.now();
  await forEachLimited(edges, REGISTER_CONCURRENCY, (edge) => store.upsertEdge(edge, LEASE_MS));
  const registerMs = performance.now() - registerStart;

  const failures = new Failures();
  const players = new PlayerLoad(deps, failures);
  const reaper = startLeaseReaper({
    store,
    intervalMs: REAPER_EVERY_MS,
    logger,
    onExpired: (expired) => players.edgesLapsed(expired.flatMap((edge) => edge.sessionIds)),
  });
  const heartbeats = startHeartbeats(store, edges, failures);

  await players.openLoop(TARGET.placementsPerSecond, WARMUP_MS);
  const eventLoop = monitorEventLoopDelay({ resolution: 5 });
  eventLoop.enable();
  const cpuStart = process.cpuUsage();
  const eluStart = performance.eventLoopUtilization();
  const redisCpuStart = redisPid === undefined ? undefined : await processCpuMs(redisPid);
  heartbeats.measuring = true;
  const open = await players.openLoop(TARGET.placementsPerSecond, MEASURE_MS);
  heartbeats.measuring = false;
  const cpu = process.cpuUsage(cpuStart);
  const elu = performance.eventLoopUtilization(eluStart);
  const redisCpuEnd = redisPid === undefined ? undefined : await processCpuMs(redisPid);
  eventLoop.disable();

  const saturated = await players.closedLoop(CONCURRENCY, SATURATION_MS);

  await heartbeats.stop();
  await reaper.stop();
  await players.drain();
  await tickets.close();
  // Every placed slot was released: nothing may still be held.
  let held = 0;
  await forEachLimited(edges, REGISTER_CONCURRENCY, async (edge) => {
    held += await store.slotsInUse(edge.edgeId);
  });
  if (held > 0) failures.add(new Error(`${held} slots still held after every release`));
  if (failures.count > 0) throw new Error(`${failures.count} failures, the first printed above`);

  return {
    loadAverage,
    registerMs,
    open,
    heartbeatsPerSecond: (heartbeats.latencies.length * 1000) / open.windowMs,
    heartbeatP99Ms: percentile(heartbeats.latencies, 99),
    lapsed: heartbeats.lapsed,
    lostSlots: players.lostSlots,
    eventLoopP99Ms: eventLoop.percentile(99) / 1e6,
    brokerCpu: (cpu.user + cpu.system) / 1000 / open.windowMs,
    eventLoopUtilization: elu.utilization,
    redisCpu:
      redisCpuStart === undefined || redisCpuEnd === undefined
        ? undefined
        : (redisCpuEnd - redisCpuStart) / open.windowMs,
    saturated,
  };
}

async function measureStore(name: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const server = name === 'redis' ? await startRedisServer() : undefined;
  try {
    for (let run = 1; run <= RUNS; run += 1) {
      console.log(`[placement-bench] ${name} run ${run}/${RUNS} (load average ${loadavg()[0]?.toFixed(1)})…`);
      // A fresh store each run; on Redis a fresh key prefix on the one server.
      const store = server
        ? await RedisStore.connect({ url: server.url, keyPrefix: `bench-${randomUUID()}:` })
        : new MemoryStore();
      try {
        results.push(await measureRun(store, server?.pid));
      } finally {
        await store.close();
      }
      const last = results.at(-1) as RunResult;
      console.log(
        `[placement-bench] ${name} run ${run}: ${rate(last.open).toFixed(0)}/s p99 ${percentile(last.open.latencies, 99).toFixed(2)} ms, saturated ${rate(last.saturated).toFixed(0)}/s`,
      );
    }
  } finally {
    await server?.close();
  }
  return results;
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

/** What placePlayer() has signed per placement: a ticket (zod check, JSON, Ed25519), inline, 2,000 times. */
async function ticketCost(): Promise<SigningRow> {
  const tickets = await TicketIssuer.create(undefined, TICKET_TTL_MS);
  const playerKey = `0x${'ab'.repeat(32)}`;
  const samples: number[] = [];
  for (let i = 0; i < 2_050; i += 1) {
    const grant = { sessionId: randomUUID(), edgeId: 'edge-00001', titleId: 'title-01', playerKey };
    const start = performance.now();
    await tickets.issue(grant);
    if (i >= 50) samples.push(performance.now() - start);
  }
  return {
    operation: 'Ed25519 ticket, TicketIssuer.issue inline (zod + JSON + sign)',
    medianMs: percentile(samples, 50),
    p90Ms: percentile(samples, 90),
  };
}

const median = (values: number[]): number => percentile(values, 50);
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '–');
const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const share = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(0)} %`;

/** The median over runs of one figure of each run. */
const across = (runs: RunResult[], figure: (run: RunResult) => number): number => median(runs.map(figure));
const openP = (q: number) => (run: RunResult) => percentile(run.open.latencies, q);

function meets(runs: RunResult[]): boolean {
  const lost = across(runs, (run) => run.open.noCapacity + run.open.dropped);
  return (
    across(runs, (run) => rate(run.open)) >= TARGET.placementsPerSecond * 0.99 &&
    across(runs, openP(99)) <= TARGET.p99Ms &&
    lost === 0
  );
}

function report(results: Map<string, RunResult[]>, signing: SigningRow[], redisVersion: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const label = (name: string): string => (name === 'redis' ? 'Redis (loopback TCP)' : name);
  const lines = [
    '## Placement rate and latency',
    '',
    `Measured by \`node --import tsx server/bench/placement-bench.ts\` (the last step of \`npm run bench\`) on ${date}:`,
    `${machine}, Node ${process.version} with \`${BROKER_NODE_FLAGS.join(' ')}\` as the broker runs, ${redisVersion}, on the same`,
    `machine. Each store was measured in ${RUNS}`,
    'runs, each with a fresh store; every figure is the median over the runs.',
    '',
    '**How the load is made.** One Node process is the broker and makes the load **in-process**: simulated edges and',
    'players call the Store and the real `placePlayer()` directly, with no sockets between them and the broker, so',
    'socket.io framing and message parsing are not counted. The Redis store talks to a real `redis-server` over',
    'loopback TCP, on one connection as the broker has. All of it shares the machine’s cores, with whatever else',
    'ran on them (the load average when each run began is listed).',
    '',
    `- ${count(EDGES)} edges around 300 towns near 60 large metros, each offering ${TITLES_PER_EDGE} of ${TITLES.length} titles,`,
    `  maxSessions ${MAX_SESSIONS}, lease ${LEASE_MS / 1000} s. Every edge renews its lease every ${HEARTBEAT_EVERY_MS / 1000} s, spread evenly`,
    `  (${count((EDGES * 1000) / HEARTBEAT_EVERY_MS)} \`renewLease\`/s); a heartbeat's latency counts from when it was due. The lease reaper`,
    '  runs every second, as in the broker.',
    `- **Open loop at the target rate**: players arrive at ${count(TARGET.placementsPerSecond)}/s, evenly spaced, whatever the broker is`,
    '  doing. Each asks for a random title from a random spot within ~100 km of a random town (no probes: ranked by',
    '  distance, load, GPU fit, reputation) and goes through `placePlayer()`: `Store.reserveBest` (find, rank and',
    '  reserve in one step; one Lua script on Redis), an Ed25519 ticket from a real `TicketIssuer` signing on its',
    '  worker thread as the broker’s does, and its info log line (to /dev/null). A',
    '  placement’s latency runs from when the player was due to arrive to the placement, so time waiting for the',
    `  event loop counts. Each slot is released after a random ${HOLD_MS.min}–${HOLD_MS.max} ms hold. ${WARMUP_MS / 1000} s warm-up, then ${MEASURE_MS / 1000} s measured.`,
    `- **Flat out**: then ${CONCURRENCY} players at a time, each asking again as soon as it is placed, for ${SATURATION_MS / 1000} s: the most`,
    '  this process places per second.',
    '',
    `| store | load avg at start | placed/s | p50 ms | p95 ms | p99 ms | max ms | p99 of each run | not placed | heartbeats/s | heartbeat p99 ms | lapsed leases (slots lost) | event-loop delay p99 ms | event loop busy | broker CPU | broker CPU per placement | redis-server CPU | flat out placed/s | flat out p99 ms | register 10k edges |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, runs] of results) {
    const each = runs.map((run) => ms(percentile(run.open.latencies, 99))).join(', ');
    const cpuPerPlacement = across(
      runs,
      (run) => (run.brokerCpu * run.open.windowMs * 1000) / run.open.latencies.length,
    );
    const redisCpu = runs.some((run) => run.redisCpu === undefined)
      ? undefined
      : across(runs, (run) => run.redisCpu ?? 0);
    lines.push(
      `| ${label(name)} | ${runs.map((run) => run.loadAverage.toFixed(1)).join(', ')} | ${count(across(runs, (run) => rate(run.open)))} | ${ms(across(runs, openP(50)))} | ${ms(across(runs, openP(95)))} | ${ms(across(runs, openP(99)))} | ${ms(across(runs, openP(100)))} | ${each} | ${count(across(runs, (run) => run.open.noCapacity + run.open.dropped))} | ${count(across(runs, (run) => run.heartbeatsPerSecond))} | ${ms(across(runs, (run) => run.heartbeatP99Ms))} | ${count(across(runs, (run) => run.lapsed))} (${count(across(runs, (run) => run.lostSlots))}) | ${ms(across(runs, (run) => run.eventLoopP99Ms))} | ${share(across(runs, (run) => run.eventLoopUtilization))} | ${share(across(runs, (run) => run.brokerCpu))} | ${count(cpuPerPlacement)} µs | ${share(redisCpu)} | ${count(across(runs, (run) => rate(run.saturated)))} | ${ms(across(runs, (run) => percentile(run.saturated.latencies, 99)))} | ${(across(runs, (run) => run.registerMs) / 1000).toFixed(1)} s |`,
    );
  }
  lines.push(
    '',
    'Event loop busy is the share of the open loop’s wall time the broker’s main thread was running.',
    'CPU is % of one core; the broker’s includes the load generator in its process and the signing thread. Broker',
    'CPU per placement is its CPU time over the open-loop window divided by the placements in it (heartbeats and',
    'releases included).',
    '',
    `Target: at least ${count(TARGET.placementsPerSecond)} placements/s with p99 ≤ ${TARGET.p99Ms} ms, judged on the open loop (the median`,
    'run must place at least 99 % of the arrivals, all of them, within the p99).',
    '',
  );
  for (const [name, runs] of results) {
    lines.push(
      `- ${label(name)}: ${meets(runs) ? '**met**' : '**not met**'} (${count(across(runs, (run) => rate(run.open)))}/s, p99 ${ms(across(runs, openP(99)))} ms).`,
    );
  }
  lines.push(
    '',
    '### Signing costs',
    '',
    'Medians over 2,000 iterations each, after 50 warm-up ones: the first four by `shared/bench/signing-bench.ts`',
    'in a process of its own; the last is the ticket `placePlayer()` signs.',
    '',
    '| operation | median ms | p90 ms |',
    '| --- | --- | --- |',
    ...signing.map((row) => `| ${row.operation} | ${row.medianMs.toFixed(4)} | ${row.p90Ms.toFixed(4)} |`),
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const results = new Map<string, RunResult[]>();
  for (const store of STORES) {
    if (store !== 'memory' && store !== 'redis')
      throw new Error(`BENCH_STORES: unknown store "${store}" (memory, redis)`);
    results.set(store, await measureStore(store));
  }
  console.log('[placement-bench] signing costs…');
  const signing = await signingCosts();
  const { stdout: redisVersion } = await promisify(execFile)('/usr/bin/redis-server', ['--version']);
  const markdown = report(results, signing, `redis-server ${/v=(\S+)/.exec(redisVersion)?.[1] ?? '?'}`);
  console.log(markdown);
  if (STORES.join(',') === 'memory,redis' && RUNS >= 3)
    await writeBenchSection(join(ROOT, 'docs', 'benchmarks.md'), 'placement', markdown);
  else
    console.log('[placement-bench] not all stores measured, or fewer than 3 runs: docs/benchmarks.md left as it was');
}

if (BROKER_NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) {
  await main();
} else {
  // Measure the broker as it runs: in a Node started with its V8 flags.
  const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
  });
  process.exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
