import { percentile } from './placement-load.js';
import {
  ACK_TIMEOUT_MS,
  EDGE_RECEIPT_BATCH_MS,
  PLAYER_MODEL,
  SLOTS,
  TITLES,
  type GeneratorReport,
} from './socket-load-world.js';

/*
 * The `socket-load` section of docs/benchmarks.md, from the runs of socket-load-bench.ts:
 * every figure is the median over a setup's runs of that figure in each run.
 */

export const TARGET_P99_MS = 50;

export interface RunResult {
  /** The machine's 1-minute load average when the run began. */
  loadAverage: number;
  windowMs: number;
  /** How long all edges took to connect and join, and each edge:register acknowledgement (not in the window). */
  joinMs: number;
  registerLatencies: number[];
  reports: GeneratorReport[];
  brokers: {
    name: string;
    cpu: number;
    /** How long per second of the window the broker's main thread was ready to run but had no core (/proc schedstat). */
    waitedMsPerS: number;
    loopDelay: { p50: number; p99: number; max: number };
  }[];
  redisCpu: number | undefined;
  /** This process (relaying sessions, collecting figures), share of one core. */
  benchCpu: number;
  /** All cores busy over the window, in cores: everything on the machine, the bench or not. */
  machineBusy: number;
  errorLogLines: number;
}

export interface ReportContext {
  date: string;
  machine: string;
  node: string;
  redis: string;
  brokerCommand: string;
  brokerEnv: Record<string, string>;
  /** The nice value of the bench's scheduling group. */
  nice: number;
  runs: number;
  warmupMs: number;
  measureMs: number;
  edges: number;
  players: number;
}

/**
 * Answers that are the protocol's normal course, not failures: a full title sends the page
 * to the queue; EDGE_UNAVAILABLE answers a page whose every probe failed (2 % of probes do
 * here); a mismatch is the ledger's verdict on two receipts that disagree, which happens
 * here when a starved load generator fires a slot's timer late.
 */
const EXPECTED: Record<string, string[]> = {
  'session:request': ['NO_CAPACITY', 'EDGE_UNAVAILABLE'],
  'receipt:submit': ['RECEIPT_MISMATCH'],
};

const median = (values: number[]): number => percentile(values, 50);
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');
const count = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const share = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(0)} %`;

function latenciesOf(run: RunResult, event?: string): number[] {
  return run.reports.flatMap((report) =>
    Object.entries(report.events)
      .filter(([name]) => event === undefined || name === event)
      .flatMap(([, stats]) => stats.latencies),
  );
}

function answersOf(run: RunResult, event?: string): Record<string, number> {
  const answers: Record<string, number> = {};
  for (const report of run.reports) {
    for (const [name, stats] of Object.entries(report.events)) {
      if (event !== undefined && name !== event) continue;
      for (const [outcome, n] of Object.entries(stats.answers)) {
        const key = event === undefined ? `${name} ${outcome}` : outcome;
        answers[key] = (answers[key] ?? 0) + n;
      }
    }
  }
  return answers;
}

/** Answers that are neither ok nor an expected refusal (TIMEOUT included). */
function failuresOf(run: RunResult): number {
  let failures = 0;
  for (const report of run.reports) {
    for (const [name, stats] of Object.entries(report.events)) {
      for (const [outcome, n] of Object.entries(stats.answers)) {
        if (outcome !== 'ok' && !(EXPECTED[name] ?? []).includes(outcome)) failures += n;
      }
    }
  }
  return failures;
}

const counter = (run: RunResult, name: string): number =>
  run.reports.reduce((sum, report) => sum + (report.counters[name] ?? 0), 0);
const perSecond = (run: RunResult, n: number): number => (n * 1000) / run.windowMs;
/** Usage receipts the ledger took (accepted or duplicate), or refused, counted from both sides' answers. */
function receipts(run: RunResult, taken: boolean): number {
  let n = 0;
  for (const report of run.reports) {
    for (const [name, value] of Object.entries(report.counters)) {
      const match = /^(player|edge) receipts (\S+)/.exec(name);
      if (!match) continue;
      const took = ['pending', 'verified', 'accepted', 'duplicate'].includes(match[2] ?? '');
      if (took === taken) n += value;
    }
  }
  return n;
}

const across = (runs: RunResult[], figure: (run: RunResult) => number): number => median(runs.map(figure));
const generator = (run: RunResult, role: GeneratorReport['role']): GeneratorReport | undefined =>
  run.reports.find((report) => report.role === role);

function meets(runs: RunResult[]): boolean {
  return (
    across(runs, (run) => percentile(latenciesOf(run), 99)) <= TARGET_P99_MS &&
    across(runs, (run) => failuresOf(run)) === 0
  );
}

const SETUP_LABEL: Record<string, string> = {
  one: 'one broker, in-memory Store',
  two: 'two brokers, one shared redis-server',
};

export function summarise(results: Map<string, RunResult[]>, context: ReportContext): string {
  const env = Object.entries(context.brokerEnv)
    .map(([name, value]) => `\`${name}=${value}\``)
    .join(', ');
  const lines = [
    '## Socket load: 1,000 players and 1,000 edges on real brokers',
    '',
    `Measured by \`node --import tsx server/bench/socket-load-bench.ts\` (a step of \`npm run bench\`) on ${context.date}:`,
    `${context.machine}, Node ${context.node}, ${context.redis}. Each setup was measured in ${context.runs} runs, each with`,
    `fresh brokers (and a fresh redis-server); ${context.warmupMs / 1000} s of warm-up, then ${context.measureMs / 1000} s measured. Every figure is the median over the runs`,
    'of that figure in each run; a latency percentile is over every acknowledgement of the run pooled.',
    '',
    `**The brokers** run as production starts them: \`${context.brokerCommand}\` (server/package.json \`start\`), in`,
    '`server/`, `LOG_LEVEL=info` with the log written to a file, every setting at its default except one:',
    `${env}. All ${count(context.edges + context.players)} sockets come from 127.0.0.1, and the per-address limit`,
    '(200 messages/s by default, shared by every socket of an address) would refuse most of the load; the',
    'per-socket limits (a page 20/s, an edge 20/s) stay at their defaults (a `RATE_LIMITED` answer would count as failed). With two',
    'brokers both get `REDIS_URL` (Store, ledger and socket.io’s Redis adapter on one redis-server) and one shared',
    '`BROKER_KEY_FILE`, as a deployment has, so an edge of either broker accepts the other’s tickets.',
    '',
    '**How the load is made.** Two Node processes forked by the bench, each a socket.io client per socket',
    '(websocket only, one connection each, as separate machines would have):',
    '',
    `- **${count(context.edges)} edges** (\`socket-load-edges.ts\`) do what \`edge-node/src/broker/broker-link.ts\` does: \`edge:challenge\`, an`,
    '  EIP-712 join proof signed by the operator’s ethers `Wallet` (a deterministic private key per edge, no keystore)',
    '  authorising a fresh Ed25519 session key, `edge:register` with titles, region, location, GPU class and',
    '  capabilities (GPU and encoders), `receipt:clock`, then `edge:heartbeat` every `leaseMs / 3` (3.3 s) with fresh GPU',
    '  readings. 100 join at a time, as after a broker restart; their joins are timed apart from the window. Each',
    '  checks the tickets it is handed (signature with its broker’s key, edge, expiry), reports `edge:session`',
    '  started and ended, and signs an edge usage receipt per 10 s slot (`ReceiptMeter`), sent at once as',
    `  \`edge:receipts\` (again every ${EDGE_RECEIPT_BATCH_MS / 1000} s if refused). They sit in 4 regions, offer 1–${TITLES.length} of ${TITLES.length} titles (two want a`,
    `  GPU tier) and ${SLOTS.min}–${SLOTS.max} slots by GPU; edge i joins broker i mod the number of brokers.`,
    `- **${count(context.players)} players** (\`socket-load-players.ts\`) go round what \`client/src/main.ts\` does: \`catalog:list\`, pick a title`,
    '  (a few popular ones, a long tail), `session:candidates`, measure the candidates (simulated: a wait of six',
    '  round trips to the farthest, RTTs from the distance, 2 % unreachable), `session:request` with the probes and',
    '  a fresh player key; on `NO_CAPACITY` (or no candidate) `queue:join`, then `queue:placed`, leaving with',
    `  \`queue:leave\` after ${PLAYER_MODEL.patienceMs / 1000} s. Placed, the page opens its session on the edge (handed to the edge’s process`,
    `  through the bench), reads \`receipt:clock\` when the picture plays ${PLAYER_MODEL.startupMs} ms later, submits a signed player receipt`,
    `  per slot (\`receipt:submit\`), presses End after ${PLAYER_MODEL.sessionMs.min / 1000}–${PLAYER_MODEL.sessionMs.max / 1000} s and thinks ${PLAYER_MODEL.thinkMs.min / 1000}–${PLAYER_MODEL.thinkMs.max / 1000} s before the next title. Real sessions`,
    '  last minutes to hours, so the broker places, queues and ends sessions far more often than for 1,000 real players.',
    '  Beyond the page, players send their location (a page that knows it could) and one cheap acknowledged',
    `  request, \`receipt:clock\`, every ${PLAYER_MODEL.clockPingEveryMs / 1000} s each, to sample the broker evenly. Player i connects to broker i mod the`,
    '  number of brokers, so with two, about half the placements cross from one broker to the other’s edges.',
    '',
    '**What is measured.** Every acknowledged request sent in the window, from `emit` to its acknowledgement in',
    `the load generator (a timeout after ${ACK_TIMEOUT_MS / 1000} s counts as a failure). The brokers’ event-loop delay is their own`,
    '(`/metrics`, prom-client’s `monitorEventLoopDelay` at 10 ms resolution, reset by a scrape at the window’s',
    'start); CPU from `/proc`, % of one core, the brokers’ including their ticket-signing thread. **Everything shares',
    'the machine’s 2 cores**: brokers, redis-server, both load generators and the bench; “machine busy” is all',
    'CPU used on the machine in the window, in cores, whatever used it. The load generators’ own event-loop delay',
    'is listed: a late timer there adds to the latency measured, so it bounds how much of a figure is the client’s.',
    context.nice === 0
      ? 'The bench’s processes ran at the default priority, level with whatever else ran on the machine.'
      : `The bench’s processes ran in a scheduling group of their own (Linux autogroup) at nice ${context.nice}, ahead of unrelated work on the machine (other sessions’ test suites ran on it at the same time: the “other work” column), but not of each other; “waited for a core” is how long the broker’s event loop was ready to run and had none.`,
    '',
  ];
  const latency: string[] = [
    '| setup | load avg at start | acked requests/s | p50 ms | p95 ms | p99 ms | max ms | p99 of each run | failed answers |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const machine: string[] = [
    '| setup | broker event-loop delay p99 / max ms | broker CPU | broker main thread waited for a core, ms/s | redis-server CPU | load generators CPU (edges + players) | load generators’ event-loop delay p99 ms (edges, players) | machine busy, cores | of which other work, cores |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const load: string[] = [
    '| setup | placements/s | queued / placed from the queue | placed on the other broker’s edges | usage receipts accepted (player + edge) | usage receipts refused | broker log lines at error level |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [setup, runs] of results) {
    const label = SETUP_LABEL[setup] ?? setup;
    const all = (run: RunResult): number[] => latenciesOf(run);
    const brokerNames = runs[0]?.brokers.map((b) => b.name) ?? [];
    const perBroker = (figure: (b: RunResult['brokers'][number]) => number, format: (v: number) => string): string =>
      brokerNames
        .map(
          (name, i) =>
            `${brokerNames.length > 1 ? `${name}: ` : ''}${format(across(runs, (run) => (run.brokers[i] ? figure(run.brokers[i]) : NaN)))}`,
        )
        .join(', ');
    const genCpu = (run: RunResult, role: GeneratorReport['role']): number => {
      const report = generator(run, role);
      return report ? report.cpuMs / report.windowMs : NaN;
    };
    const genLoop = (role: GeneratorReport['role']) => (run: RunResult) => generator(run, role)?.loopDelay.p99 ?? NaN;
    /** Cores the bench's own processes used: brokers, redis-server, load generators, this process. */
    const benchCores = (run: RunResult): number =>
      run.brokers.reduce((sum, b) => sum + b.cpu, 0) +
      (run.redisCpu ?? 0) +
      genCpu(run, 'edges') +
      genCpu(run, 'players') +
      run.benchCpu;
    const placements = (run: RunResult): number =>
      counter(run, 'placed at once') + counter(run, 'placed from the queue');
    latency.push(
      `| ${label} | ${runs.map((run) => run.loadAverage.toFixed(1)).join(', ')} | ${count(across(runs, (run) => perSecond(run, all(run).length)))} | ${ms(across(runs, (run) => percentile(all(run), 50)))} | ${ms(across(runs, (run) => percentile(all(run), 95)))} | ${ms(across(runs, (run) => percentile(all(run), 99)))} | ${ms(across(runs, (run) => percentile(all(run), 100)))} | ${runs.map((run) => ms(percentile(all(run), 99))).join(', ')} | ${count(across(runs, failuresOf))} |`,
    );
    machine.push(
      `| ${label} | ${perBroker((b) => b.loopDelay.p99, ms)} / ${perBroker((b) => b.loopDelay.max, ms)} | ${perBroker((b) => b.cpu, share)} | ${perBroker((b) => b.waitedMsPerS, ms)} | ${share(runs.some((run) => run.redisCpu === undefined) ? undefined : across(runs, (run) => run.redisCpu ?? NaN))} | ${share(across(runs, (run) => genCpu(run, 'edges')))} + ${share(across(runs, (run) => genCpu(run, 'players')))} | ${ms(across(runs, genLoop('edges')))}, ${ms(across(runs, genLoop('players')))} | ${across(runs, (run) => run.machineBusy).toFixed(2)} | ${across(runs, (run) => Math.max(0, run.machineBusy - benchCores(run))).toFixed(2)} |`,
    );
    load.push(
      `| ${label} | ${across(runs, (run) => perSecond(run, placements(run))).toFixed(1)} | ${count(across(runs, (run) => counter(run, 'queued')))} / ${count(across(runs, (run) => counter(run, 'placed from the queue')))} | ${setup === 'one' ? '–' : share(across(runs, (run) => counter(run, 'placed on another broker’s edge') / Math.max(1, placements(run))))} | ${count(across(runs, (run) => receipts(run, true)))} | ${count(across(runs, (run) => receipts(run, false)))} | ${count(across(runs, (run) => run.errorLogLines))} |`,
    );
  }
  lines.push(...latency, '', ...machine, '', ...load);
  lines.push(
    '',
    `Target: p99 acknowledgement ≤ ${TARGET_P99_MS} ms over every acknowledged request, with no failed answer, in the median run.`,
    'A failed answer is a timeout or any refusal but these, which are the protocol’s normal course: `NO_CAPACITY` and',
    '`EDGE_UNAVAILABLE` to `session:request` (the title is full: the page queues; every probe failed) and',
    '`RECEIPT_MISMATCH` to `receipt:submit` (the two sides’ receipts disagreed, when a late timer in a starved load generator',
    'cut a slot late).',
    '',
  );
  for (const [setup, runs] of results) {
    lines.push(
      `- ${SETUP_LABEL[setup] ?? setup}: ${meets(runs) ? '**met**' : '**not met**'} (p99 ${ms(across(runs, (run) => percentile(latenciesOf(run), 99)))} ms, ${count(across(runs, failuresOf))} failed answers).`,
    );
  }
  for (const [setup, runs] of results) {
    lines.push(
      '',
      `### Per request: ${SETUP_LABEL[setup] ?? setup}`,
      '',
      '| request | per s | p50 ms | p95 ms | p99 ms | max ms | answers other than ok (all runs) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    const events = [
      ...new Set(runs.flatMap((run) => run.reports.flatMap((report) => Object.keys(report.events)))),
    ].sort();
    for (const event of events) {
      const others: Record<string, number> = {};
      for (const run of runs) {
        for (const [outcome, n] of Object.entries(answersOf(run, event))) {
          if (outcome !== 'ok') others[outcome] = (others[outcome] ?? 0) + n;
        }
      }
      const p = (q: number) => (run: RunResult) => percentile(latenciesOf(run, event), q);
      lines.push(
        `| \`${event}\` | ${count(across(runs, (run) => perSecond(run, latenciesOf(run, event).length)))} | ${ms(across(runs, p(50)))} | ${ms(across(runs, p(95)))} | ${ms(across(runs, p(99)))} | ${ms(across(runs, p(100)))} | ${
          Object.entries(others)
            .map(([outcome, n]) => `${outcome} ${count(n)}`)
            .join(', ') || '–'
        } |`,
      );
    }
    const counters = new Set(runs.flatMap((run) => run.reports.flatMap((report) => Object.keys(report.counters))));
    lines.push(
      '',
      `What happened in the window (median of runs): ${[...counters]
        .sort()
        .map((name) => `${name} ${count(across(runs, (run) => counter(run, name)))}`)
        .join('; ')}.`,
      '',
      `Edges joining (before the window): ${context.edges.toLocaleString('en-US')} in ${(across(runs, (run) => run.joinMs) / 1000).toFixed(1)} s, \`edge:register\` p50 ${ms(across(runs, (run) => percentile(run.registerLatencies, 50)))} ms, p99 ${ms(across(runs, (run) => percentile(run.registerLatencies, 99)))} ms (EIP-712 signer recovery, ~2 ms each, on the broker’s join-verifying thread).`,
    );
  }
  return lines.join('\n');
}
