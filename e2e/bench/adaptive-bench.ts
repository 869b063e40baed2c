import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeBenchSection } from '../src/bench-report.js';
import { runCapScenario, type CapScenarioResult } from '../src/cap-scenario.js';
import { summarize, timeline, type PhaseSummary } from '../src/cap-report.js';

/**
 * `npm run bench`: adaptive quality under a bandwidth cap. One player in real Chromium on the
 * motion test title (960×540 @ 60, a picture that spends every bit it is given), the edge in its
 * own network namespace behind a 20 ms link; 15 s free, 30 s capped at 2 Mbit/s with `tc tbf`,
 * then free again; then the same with ADAPTIVE_VIDEO=off for comparison. Writes the `adaptive`
 * section of docs/benchmarks.md.
 */

const CAP_KBIT = 2000;
const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

const options = {
  capKbit: CAP_KBIT,
  rttMs: 20,
  uncappedMs: 15_000,
  aboveCapTimeoutMs: 30_000,
  cappedMs: 30_000,
  recoveryTimeoutMs: 40_000,
  afterRecoveryMs: 10_000,
};
const loadBefore = loadavg()[0] ?? NaN;
console.log('[bench] adaptive quality: one run with ADAPTIVE_VIDEO=on…');
const run = await runCapScenario({ ...options, logDir: join('.tmp', 'bench-logs', 'adaptive') });
// The same cap on a stream that does not adapt (ADAPTIVE_VIDEO=off): what the controller saves.
console.log('[bench] adaptive quality: the same with ADAPTIVE_VIDEO=off…');
const fixed = await runCapScenario({
  ...options,
  recoveryTimeoutMs: 15_000,
  afterRecoveryMs: 0,
  adaptive: false,
  logDir: join('.tmp', 'bench-logs', 'adaptive-off'),
});
const loadAfter = loadavg()[0] ?? NaN;

const rows = timeline(run);
const phasesOf = (r: CapScenarioResult): (readonly [string, PhaseSummary])[] => [
  ['free', summarize(r, r.uncapped)],
  ['capped at 2 Mbit/s', summarize(r, r.capped)],
  ['capped, from 5 s in', summarize(r, { from: r.capped.from + 5000, to: r.capped.to })],
  ['freed', summarize(r, r.recovery)],
];
const phases = [
  ...phasesOf(run).map(([name, summary]) => [`adaptive: ${name}`, summary] as const),
  ...phasesOf(fixed).map(([name, summary]) => [`fixed bitrate: ${name}`, summary] as const),
];
const firstBelow = run.decisions.find((d) => d.at >= run.capped.from && d.bitrateKbps < CAP_KBIT);
const date = new Date().toISOString().slice(0, 10);
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';

const lines = [
  `Measured by \`npm run bench\` on ${date}: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, no GPU,`,
  `Debian 12, headless Chromium; load average ${fmt(loadBefore, 1)} before and ${fmt(loadAfter, 1)} after the run (a shared machine).`,
  '',
  '## Adaptive quality under a 2 Mbit/s cap',
  '',
  'One player on the motion test title (960×540 @ 60: film grain that changes every frame, so the encoder spends',
  'whatever it is given; its full budget is 3.1 Mbit/s). The edge runs in its own network namespace behind a',
  `${run.options.rttMs} ms link (e2e/src/netlab). After ${run.options.uncappedMs / 1000} s, once the page has received more than 2 Mbit/s for three`,
  'seconds in a row, the edge→browser direction is capped at 2 Mbit/s with `tc tbf` (burst 32 kbit, 100 ms of',
  'queue), and freed again after 30 s. The page records every frame its `<video>`',
  'presents (`requestVideoFrameCallback`) and the overlay’s received bitrate (inbound-rtp, once a second); the',
  'edge logs each change its quality controller makes. The same run with `ADAPTIVE_VIDEO=off` (the title’s fixed',
  '3.1 Mbit/s) shows what the cap does to a stream that does not adapt.',
  '',
  '| phase | received kbit/s (median) | presented fps | longest freeze ms |',
  '| --- | --- | --- | --- |',
  ...phases.map(([name, s]) => `| ${name} | ${fmt(s.medianKbps)} | ${fmt(s.fps, 1)} | ${fmt(s.longestFreezeMs)} |`),
  '',
  `- The encoder went below the cap ${firstBelow ? fmt((firstBelow.at - run.capped.from) / 1000, 1) : '–'} s after it struck (to ${firstBelow?.bitrateKbps ?? '–'} kbit/s).`,
  `- The page received more than the cap again ${run.climbedAt === undefined ? '– (not within the run)' : `${fmt((run.climbedAt - run.recovery.from) / 1000, 1)} s`} after it was lifted.`,
  `- The controller changed the encoder ${run.decisions.length} times; it ended at ${(() => {
    const last = run.decisions.at(-1);
    return last ? `${last.bitrateKbps} kbit/s, ${last.width}×${last.height} @ ${last.fps}` : '–';
  })()}.`,
  '',
  '### Second by second',
  '',
  '| s | link | received kbit/s | presented fps | longest freeze ms | picture | encoder kbit/s | encoder format |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.second} | ${r.phase} | ${fmt(r.receivedKbps)} | ${fmt(r.presentedFps)} | ${fmt(r.longestFreezeMs)} | ${r.size} | ${r.encoderKbps ?? '–'} | ${r.encoderFormat ?? '–'} |`,
  ),
  '',
];
const markdown = lines.join('\n');
await writeBenchSection(join('docs', 'benchmarks.md'), 'adaptive', markdown);
console.log(markdown);
