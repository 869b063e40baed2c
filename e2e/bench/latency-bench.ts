import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startLocalStack } from '../../scripts/local-stack.js';
import { writeBenchSection } from '../src/bench-report.js';
import { launchBrowser } from '../src/browser.js';
import {
  brightness,
  installFrameWatch,
  overlayStats,
  presentedFrames,
  timeReaction,
  type ReactionTiming,
  type Region,
} from '../src/frame-watch.js';

/**
 * `npm run bench`: input-to-photon latency and delivered fps, measured in real Chromium
 * against the real stack on loopback, for the latency probe title (1280×720@60, flips
 * black/white on a key) and for Chromium B.S.U. (Escape/Enter switch menu and level).
 * Writes the `latency` section of docs/benchmarks.md.
 */

const PRESSES = Number(process.env.BENCH_PRESSES ?? 40);

interface Scenario {
  title: string;
  label: string;
  resolution: string;
  region: Region;
  /** Presses alternate between these keys; each must flip the region's brightness. */
  keys: [string, string];
  /** Settling time after a reaction before the next press, ms. */
  settleMs: number;
  /** Key presses before measuring (e.g. leave a start screen). */
  presses: number;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'latency-probe',
    label: 'Latency probe (built-in)',
    resolution: '1280×720 @ 60',
    region: { x: 0.25, y: 0.25, w: 0.5, h: 0.5 },
    keys: ['Space', 'Space'],
    settleMs: 150,
    presses: PRESSES,
  },
  {
    title: 'chromium-bsu',
    label: 'Chromium B.S.U. (menu ⇄ level)',
    resolution: '800×600 @ 60',
    // The logo at the top of the menu is bright; the level there is dark.
    region: { x: 0.25, y: 0.05, w: 0.5, h: 0.3 },
    keys: ['Enter', 'Escape'],
    settleMs: 2500,
    presses: Math.max(30, Math.round(PRESSES / 1.3)),
  },
];

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
};
const median = (values: number[]): number => percentile(values, 50);
const fmt = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');

interface Press extends ReactionTiming {
  key: string;
  /** Page send → edge injected, from the edge's debug log (same machine, same clock). */
  toEdgeMs: number | undefined;
  /** Edge injected → last packet of the changed frame received by the page. */
  edgeToReceivedMs: number | undefined;
}

interface Result {
  scenario: Scenario;
  timings: Press[];
  jitterBufferMs: number[];
  decodeMs: number[];
  missed: number;
  fps: number;
  cpu: Record<string, string>;
}

function cpuOf(rootPid: number): Record<string, string> {
  // %CPU over each process's lifetime is misleading; sample 3 s of top instead.
  const out = execFileSync('top', ['-b', '-d', '3', '-n', '2', '-w', '200'], { encoding: 'utf8' });
  const last = out.slice(out.lastIndexOf('PID'));
  const wanted = ['chromium', 'python3', 'ffmpeg', 'mediasoup-worker', 'Xvfb', 'chromium-bsu', 'node'];
  const usage: Record<string, number> = {};
  for (const line of last.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const command = fields[11] ?? '';
    const cpu = Number(fields[8]);
    const name = wanted.find((w) => command.startsWith(w.slice(0, 15)));
    if (name && Number.isFinite(cpu)) usage[name] = (usage[name] ?? 0) + cpu;
  }
  void rootPid;
  return Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, `${v.toFixed(0)} %`]));
}

async function run(scenario: Scenario): Promise<Result> {
  const stack = await startLocalStack({
    titles: [scenario.title],
    logDir: join('.tmp', 'bench-logs', scenario.title),
    logLevel: 'debug',
  });
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await page.goto(stack.url);
    await page
      .getByRole('button', { name: new RegExp(`^Play `) })
      .first()
      .click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });
    await page.waitForTimeout(3000);
    const timeOrigin = await installFrameWatch(page, scenario.region);
    await page.waitForTimeout(500);

    // Learn the two brightness levels: now, and after the first key.
    const levelA = await brightness(page);
    await page.keyboard.press(scenario.keys[0]);
    await page.waitForTimeout(scenario.settleMs + 500);
    const levelB = await brightness(page);
    if (Math.abs(levelA - levelB) < 20)
      throw new Error(`the key did not change the picture enough (${levelA} → ${levelB})`);
    const threshold = (levelA + levelB) / 2;
    let bright = levelB > threshold;

    const timings: Press[] = [];
    const jitterBufferMs: number[] = [];
    const decodeMs: number[] = [];
    let missed = 0;
    const fpsStart = await presentedFrames(page);
    for (let i = 0; i < scenario.presses; i++) {
      const key = scenario.keys[(i + 1) % 2] ?? 'Space';
      try {
        const timing = await timeReaction(page, key, threshold, !bright);
        const injected = stack.logs
          .filter((line) => line.msg === 'input injected')
          .map((line) => line as unknown as { input: { down: boolean; t?: number }; injectedAt: number })
          .filter((line) => line.input.down && line.input.t !== undefined && Math.abs(line.input.t - timing.sentAt) < 5)
          .at(-1);
        timings.push({
          ...timing,
          key,
          toEdgeMs: injected ? injected.injectedAt - (timeOrigin + (injected.input.t ?? 0)) : undefined,
          edgeToReceivedMs:
            injected && timing.receiveTime !== undefined
              ? timeOrigin + timing.receiveTime - injected.injectedAt
              : undefined,
        });
        bright = !bright;
        const stats = await overlayStats(page);
        if (stats.jitterBufferMs !== undefined) jitterBufferMs.push(stats.jitterBufferMs);
        if (stats.decodeMs !== undefined) decodeMs.push(stats.decodeMs);
      } catch {
        missed += 1;
        bright = (await brightness(page)) > threshold;
      }
      // Irregular spacing so presses do not lock onto the capture clock.
      await page.waitForTimeout(scenario.settleMs + Math.random() * 100);
    }
    const fpsEnd = await presentedFrames(page);
    const fps = ((fpsEnd.frames - fpsStart.frames) * 1000) / (fpsEnd.spanMs - fpsStart.spanMs);
    const cpu = cpuOf(stack.edge.pid ?? 0);
    return { scenario, timings, jitterBufferMs, decodeMs, missed, fps, cpu };
  } finally {
    await browser.close();
    await stack.stop();
  }
}

function report(results: (Result & { runP50s: number[] })[]): string {
  const date = new Date().toISOString().slice(0, 10);
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Measured by \`npm run bench\` on ${date}: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, no GPU,`,
    'Debian 12, headless Chromium (software decode and compositing), everything on loopback.',
    '',
    '## Input-to-photon latency',
    '',
    'The page notes `performance.now()` when its keydown handler sends the key over the data channel; a',
    '`requestVideoFrameCallback` loop on the `<video>` reads every presented frame and finds the first one whose',
    'picture shows the reaction. Latency = that frame’s `expectedDisplayTime` − send time. Presses are spaced',
    'irregularly so they do not lock onto the capture clock.',
    '',
    `Each title was measured in ${RUNS} runs, each with a fresh stack and browser; percentiles are over all presses`,
    'pooled, and the p50 of each run is listed to show the spread. Delivered fps is the median over runs of the',
    'frames the `<video>` presented per second. Tuning and what it changed: [latency.md](latency.md).',
    '',
    '| title | resolution | presses | p50 ms | p95 ms | min ms | max ms | p50 of each run | delivered fps | missed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const total = r.timings.map((t) => t.expectedDisplayTime - t.sentAt);
    lines.push(
      `| ${r.scenario.label} | ${r.scenario.resolution} | ${r.timings.length} | ${fmt(median(total))} | ${fmt(percentile(total, 95))} | ${fmt(Math.min(...total))} | ${fmt(Math.max(...total))} | ${r.runP50s.map(fmt).join(', ')} | ${r.fps.toFixed(1)} | ${r.missed} |`,
    );
  }
  lines.push('', '### Where the time goes (medians, ms)', '');
  lines.push(
    '| title | page → edge, injected | injected → frame received (redraw, capture wait, encode, SFU, network) | decode | received → presented (jitter buffer, render queue) | of which jitter buffer (getStats) | presented → expected on screen |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const values = (pick: (t: Press) => number | undefined): number[] =>
      r.timings.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const toEdge = values((t) => t.toEdgeMs);
    const toReceived = values((t) => t.edgeToReceivedMs);
    const decode = values((t) => (t.processingDuration === undefined ? undefined : t.processingDuration * 1000));
    const buffer = values((t) =>
      t.receiveTime === undefined ? undefined : t.presentationTime - t.receiveTime - (t.processingDuration ?? 0) * 1000,
    );
    const compositor = values((t) => t.expectedDisplayTime - t.presentationTime);
    lines.push(
      `| ${r.scenario.label} | ${fmt(median(toEdge))} | ${fmt(median(toReceived))} | ${fmt(median(decode))} | ${fmt(median(buffer))} | ${fmt(median(r.jitterBufferMs))} | ${fmt(median(compositor))} |`,
    );
  }
  const perKey = results.filter((r) => r.scenario.keys[0] !== r.scenario.keys[1]);
  for (const r of perKey) {
    for (const key of new Set(r.scenario.keys)) {
      const total = r.timings.filter((t) => t.key === key).map((t) => t.expectedDisplayTime - t.sentAt);
      lines.push(
        '',
        `${r.scenario.label}, ${key} only: p50 ${fmt(median(total))} ms, p95 ${fmt(percentile(total, 95))} ms over ${total.length} presses.`,
      );
    }
  }
  lines.push('', 'CPU while streaming (3 s of `top`, % of one core):', '');
  for (const r of results)
    lines.push(
      `- ${r.scenario.label}: ${Object.entries(r.cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  lines.push('');
  return lines.join('\n');
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Pools several runs of one scenario (each with a fresh stack and browser) into one result. */
function pool(runs: Result[]): Result & { runP50s: number[] } {
  const first = runs[0];
  if (!first) throw new Error('no runs');
  const p50 = (r: Result): number => median(r.timings.map((t) => t.expectedDisplayTime - t.sentAt));
  return {
    scenario: first.scenario,
    timings: runs.flatMap((r) => r.timings),
    jitterBufferMs: runs.flatMap((r) => r.jitterBufferMs),
    decodeMs: runs.flatMap((r) => r.decodeMs),
    missed: runs.reduce((sum, r) => sum + r.missed, 0),
    fps: median(runs.map((r) => r.fps)),
    cpu: first.cpu,
    runP50s: runs.map(p50),
  };
}

const results: (Result & { runP50s: number[] })[] = [];
for (const scenario of SCENARIOS.filter((s) => !process.env.BENCH_ONLY || s.title === process.env.BENCH_ONLY)) {
  const runs: Result[] = [];
  for (let i = 1; i <= RUNS; i++) {
    console.log(`[bench] ${scenario.label}: run ${i}/${RUNS}, ${scenario.presses} presses…`);
    const result = await run(scenario);
    const total = result.timings.map((t) => t.expectedDisplayTime - t.sentAt);
    console.log(
      `[bench] ${scenario.label}: p50 ${fmt(median(total))} ms, p95 ${fmt(percentile(total, 95))} ms, ${result.fps.toFixed(1)} fps, missed ${result.missed}`,
    );
    runs.push(result);
  }
  results.push(pool(runs));
}
const markdown = report(results);
await writeBenchSection(join('docs', 'benchmarks.md'), 'latency', markdown);
console.log(markdown);
