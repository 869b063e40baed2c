import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeBenchSection } from '../../e2e/src/bench-report.js';
import { startRedisServer, type RedisServer } from '../test/store/redis-server.js';
import { percentile } from './placement-load.js';
import { summarise, type RunResult } from './socket-load-report.js';
import {
  EDGES,
  PLAYERS,
  type FromGenerator,
  type GeneratorReport,
  type SessionJoin,
  type ToGenerator,
} from './socket-load-world.js';
import { freeLoopbackPort } from '../test/free-port.js';

/*
 * 1,000 player sockets and 1,000 edge sockets on real broker processes, started as
 * production starts them (server/package.json `start`, with its V8 flags), first one
 * broker on its in-memory Store, then two brokers sharing one real redis-server with
 * half the sockets on each. The load comes from two other processes (socket-load-edges.ts,
 * socket-load-players.ts) forked by this one, which only relays sessions from players to
 * edges and collects the figures. Every acknowledged request's latency is measured from
 * its emit to its acknowledgement; the brokers' event-loop delay comes from their own
 * /metrics, CPU from /proc. Each setup runs BENCH_RUNS times (default 3); every figure is
 * the median over the runs. Writes the `socket-load` section of docs/benchmarks.md.
 *
 * BENCH_SOCKET_SETUPS=one or =two measures one setup and prints without writing;
 * BENCH_SOCKET_SECONDS sets the measured window (default 25 s, after 10 s of warm-up);
 * BENCH_CPU_PROF=<dir> runs the brokers with --cpu-prof, profiles written there;
 * BENCH_NICE (default -10) is the priority of the bench's scheduling group (below).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = join(ROOT, 'server');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP_MS = Number(process.env.BENCH_SOCKET_WARMUP_SECONDS ?? 10) * 1000;
const MEASURE_MS = Number(process.env.BENCH_SOCKET_SECONDS ?? 25) * 1000;
const SETUPS = (process.env.BENCH_SOCKET_SETUPS ?? 'one,two').split(',');
const LOG_DIR = join(ROOT, '.tmp', 'socket-load');
/**
 * The nice value of the bench's own scheduling group (Linux autogroup): the brokers,
 * redis-server, the load generators and this process, which share the machine's cores with
 * each other as they would on a machine of their own, ahead of unrelated work (other test
 * suites on a shared machine). 0 leaves them level with everything else.
 */
const NICE = Number(process.env.BENCH_NICE ?? -10);
/**
 * Every socket comes from 127.0.0.1, so the per-address limit (200 messages/s by default,
 * shared by all of an address's sockets) would refuse most of the load. It is the one
 * setting the bench changes; the per-socket limits stay at their defaults.
 */
export const BENCH_BROKER_ENV = { ADDRESS_EVENTS_PER_SECOND: '1000000' };

/** The broker's command line from its `start` script, so the bench runs what production runs. */
export function brokerCommand(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(SERVER, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = scripts.start.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`server's start script does not start with node: ${scripts.start}`);
  return words.slice(1);
}

interface BrokerProcess {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

async function startBrokerProcess(name: string, env: NodeJS.ProcessEnv, logFile: string): Promise<BrokerProcess> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // Logs go straight to a file, as a service's stdout would: the bench does not read them while it measures.
  const log = openSync(logFile, 'w');
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', '--', process.execPath, ...profile, ...brokerCommand()], {
    cwd: SERVER,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...BENCH_BROKER_ENV, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = once(child, 'exit');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`broker ${name} exited at start; see ${logFile}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`broker ${name} did not answer /healthz in 30 s; see ${logFile}`);
    await delay(100);
  }
  return {
    name,
    url,
    pid: child.pid as number,
    logFile,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU time of a process (all its threads), ms, from /proc. */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** How long the process's main thread has waited, runnable, for a core: ms, from /proc/<pid>/schedstat. */
async function waitedMs(pid: number): Promise<number> {
  const [, waitingNs = '0'] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).trim().split(/\s+/);
  return Number(waitingNs) / 1e6;
}

/** CPU time the whole machine spent busy (all cores), ms, from /proc/stat. */
async function machineBusyMs(): Promise<number> {
  const [line = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
}

/**
 * The broker's event-loop delay since the last scrape (prom-client resets its histogram
 * on every collect), in ms.
 */
async function scrapeLoopDelay(url: string): Promise<{ p50: number; p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number => {
    const match = new RegExp(`^edgeplay_broker_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : NaN;
  };
  return { p50: read('p50'), p99: read('p99'), max: read('max') };
}

/** A forked load generator: one message awaited at a time, a failure or an exit rejects it. */
class Generator {
  readonly child: ChildProcess;
  private waiter: { type: FromGenerator['type']; settle: (message: FromGenerator | Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(script: string, onSession: (join: SessionJoin) => void) {
    this.child = fork(join(ROOT, 'server', 'bench', script), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromGenerator) => {
      if (message.type === 'session') onSession(message.join);
      else if (message.type === 'error') this.fail(new Error(`${script}: ${message.message}`));
      else if (message.type === this.waiter?.type) this.waiter.settle(message);
    });
    this.child.on('exit', (code) => this.fail(new Error(`${script} exited (${code})`)));
  }

  send(message: ToGenerator): void {
    this.child.send(message);
  }

  /** Waits for the next message of `type`. */
  next<T extends FromGenerator['type']>(type: T, timeoutMs: number): Promise<Extract<FromGenerator, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new Error(`no "${type}" from a load generator in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle = (message: FromGenerator | Error): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (message instanceof Error) reject(message);
        else resolve(message as Extract<FromGenerator, { type: T }>);
      };
      this.waiter = { type, settle };
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.settle(this.failure);
  }
}

/** One Ed25519 ticket key for every broker of a run, as a deployment shares BROKER_KEY_FILE. */
function brokerKeyFile(dir: string): string {
  const file = join(dir, 'broker-ed25519.pem');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return file;
}

async function runOnce(setup: string, run: number): Promise<RunResult> {
  const brokerCount = setup === 'two' ? 2 : 1;
  const dir = join(LOG_DIR, `${setup}-${run}`);
  mkdirSync(dir, { recursive: true });
  const loadAverage = loadavg()[0] ?? NaN;
  const redis: RedisServer | undefined = brokerCount === 2 ? await startRedisServer() : undefined;
  const brokers: BrokerProcess[] = [];
  const generators: Generator[] = [];
  try {
    const env: NodeJS.ProcessEnv = { BROKER_KEY_FILE: brokerKeyFile(dir) };
    if (redis) Object.assign(env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `bench-${run}:` });
    for (let i = 0; i < brokerCount; i += 1) {
      const name = String.fromCharCode(65 + i);
      brokers.push(await startBrokerProcess(name, env, join(dir, `broker-${name}.log`)));
    }
    const urls = brokers.map((broker) => broker.url);

    const edges = new Generator('socket-load-edges.ts', () => undefined);
    generators.push(edges);
    const players = new Generator('socket-load-players.ts', (session) =>
      edges.send({ type: 'session', join: session }),
    );
    generators.push(players);
    edges.send({ type: 'start', brokers: urls });
    const joined = await edges.next('ready', 180_000);
    if (joined.failures > 0) throw new Error(`${joined.failures} edges could not join`);
    console.log(
      `[socket-load] ${EDGES} edges joined in ${(joined.joinMs / 1000).toFixed(1)} s (register p99 ${percentile(joined.registerLatencies, 99).toFixed(0)} ms)`,
    );
    players.send({ type: 'start', brokers: urls });
    const connected = await players.next('ready', 60_000);
    if (connected.failures > 0) throw new Error(`${connected.failures} players could not connect`);
    await delay(WARMUP_MS);

    // The window: prom-client's event-loop histogram restarts at this scrape.
    await Promise.all(brokers.map((broker) => scrapeLoopDelay(broker.url)));
    const pids = [...brokers.map((broker) => broker.pid), ...(redis ? [redis.pid] : [])];
    const cpuStart = await Promise.all(pids.map(processCpuMs));
    const waitStart = await Promise.all(brokers.map((broker) => waitedMs(broker.pid)));
    const busyStart = await machineBusyMs();
    const benchCpuStart = process.cpuUsage();
    const started = Date.now();
    for (const generator of generators) generator.send({ type: 'measure' });
    await delay(MEASURE_MS);
    const reportsPending = generators.map((generator) => generator.next('report', 30_000));
    for (const generator of generators) generator.send({ type: 'report' });
    const windowMs = Date.now() - started;
    const reports: GeneratorReport[] = (await Promise.all(reportsPending)).map((message) => message.report);
    const cpuEnd = await Promise.all(pids.map(processCpuMs));
    const waitEnd = await Promise.all(brokers.map((broker) => waitedMs(broker.pid)));
    const busyEnd = await machineBusyMs();
    const benchCpu = process.cpuUsage(benchCpuStart);
    const loopDelay = await Promise.all(brokers.map((broker) => scrapeLoopDelay(broker.url)));
    const share = (i: number): number => ((cpuEnd[i] ?? 0) - (cpuStart[i] ?? 0)) / windowMs;

    return {
      loadAverage,
      windowMs,
      joinMs: joined.joinMs,
      registerLatencies: joined.registerLatencies,
      reports,
      brokers: brokers.map((broker, i) => ({
        name: broker.name,
        cpu: share(i),
        waitedMsPerS: (((waitEnd[i] ?? 0) - (waitStart[i] ?? 0)) * 1000) / windowMs,
        loopDelay: loopDelay[i] as { p50: number; p99: number; max: number },
      })),
      redisCpu: redis ? share(brokers.length) : undefined,
      benchCpu: (benchCpu.user + benchCpu.system) / 1000 / windowMs,
      machineBusy: (busyEnd - busyStart) / windowMs,
      errorLogLines: await countErrorLines(brokers.map((broker) => broker.logFile)),
    };
  } finally {
    await Promise.all(generators.map((generator) => generator.stop()));
    await Promise.all(brokers.map((broker) => broker.stop()));
    await redis?.close();
  }
}

/** pino lines at error level or above (50+) in the brokers' logs. */
async function countErrorLines(files: string[]): Promise<number> {
  let count = 0;
  for (const file of files) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (/"level":(5|6)\d/.test(line)) count += 1;
    }
  }
  return count;
}

async function main(): Promise<void> {
  const results = new Map<string, RunResult[]>();
  for (const setup of SETUPS) {
    if (setup !== 'one' && setup !== 'two') throw new Error(`BENCH_SOCKET_SETUPS: unknown setup "${setup}" (one, two)`);
    const runs: RunResult[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      console.log(`[socket-load] ${setup} broker(s), run ${run}/${RUNS} (load average ${loadavg()[0]?.toFixed(1)})…`);
      runs.push(await runOnce(setup, run));
      const last = runs.at(-1) as RunResult;
      const all = last.reports.flatMap((report) => Object.values(report.events).flatMap((e) => e.latencies));
      console.log(
        `[socket-load] ${setup} run ${run}: ${all.length} acks, p99 ${percentile(all, 99).toFixed(2)} ms, broker CPU ${last.brokers.map((b) => `${(b.cpu * 100).toFixed(0)} %`).join(' + ')}`,
      );
    }
    results.set(setup, runs);
  }
  const { stdout: redisVersion } = await promisify(execFile)('/usr/bin/redis-server', ['--version']);
  const markdown = summarise(results, {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    redis: `redis-server ${/v=(\S+)/.exec(redisVersion)?.[1] ?? '?'}`,
    brokerCommand: `node ${brokerCommand().join(' ')}`,
    brokerEnv: BENCH_BROKER_ENV,
    nice: NICE,
    runs: RUNS,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    edges: EDGES,
    players: PLAYERS,
  });
  console.log(markdown);
  if (SETUPS.join(',') === 'one,two' && RUNS >= 3 && EDGES === 1_000 && PLAYERS === 1_000)
    await writeBenchSection(join(ROOT, 'docs', 'benchmarks.md'), 'socket-load', markdown);
  else
    console.log(
      '[socket-load] not every setup, fewer than 3 runs or other socket counts: docs/benchmarks.md left as it was',
    );
}

/**
 * Runs main() in a session of its own, so that its autogroup (the unit Linux schedules
 * sessions by) holds only the bench and what it starts, and gives that group NICE. The
 * group ends with the bench.
 */
async function inOwnSchedulingGroup(): Promise<void> {
  if (process.env.BENCH_OWN_SESSION === '1') {
    if (NICE !== 0) await writeFile('/proc/self/autogroup', String(NICE));
    console.log(`[socket-load] scheduling group: ${(await readFile('/proc/self/autogroup', 'utf8')).trim()}`);
    return main();
  }
  const child = spawn('setsid', ['--wait', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_OWN_SESSION: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the benchmark failed (exit ${code})`);
}

await inOwnSchedulingGroup();
