import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format } from 'prettier';
import { runCapScenario } from '../src/cap-scenario.js';

/**
 * Records what mediasoup told the edge about a player's link through one capped run (the
 * adaptive bench's scenario, 2 Mbit/s for 25 s) as the fixture the quality controller's unit
 * tests replay: edge-node/test/fixtures/link-reports/capped-2mbit.json. Run by hand:
 *   node --import tsx e2e/bench/record-link-reports.ts
 */

const logDir = join('.tmp', 'bench-logs', 'link-reports');
const run = await runCapScenario({
  capKbit: 2000,
  rttMs: 20,
  uncappedMs: 10_000,
  aboveCapTimeoutMs: 30_000,
  cappedMs: 25_000,
  recoveryTimeoutMs: 30_000,
  afterRecoveryMs: 5000,
  logDir,
  logLevel: 'debug',
});
const lines = (await readFile(join(logDir, 'edge-capped.log'), 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Record<string, unknown>)
  .filter((line) => line.msg === 'link report');
const first = Number(lines[0]?.time);
const at = (ms: number): number => Math.round(ms - first);
const fixture = {
  recorded: new Date().toISOString().slice(0, 10),
  about:
    'Link reports (transport-cc estimate, receiver-reported loss) the edge read while the motion test title ' +
    'streamed to Chromium over a 20 ms link, capped at 2 Mbit/s with tc tbf from capFromMs to capToMs. ' +
    'Times in ms from the first report. Made by e2e/bench/record-link-reports.ts.',
  capFromMs: at(run.capped.from),
  capToMs: at(run.capped.to),
  reports: lines.map((line) => ({
    atMs: at(Number(line.time)),
    ...(typeof line.availableBps === 'number' ? { availableBps: line.availableBps } : {}),
    ...(typeof line.fractionLost === 'number' ? { fractionLost: line.fractionLost } : {}),
  })),
};
const file = join('edge-node', 'test', 'fixtures', 'link-reports', 'capped-2mbit.json');
await writeFile(file, await format(JSON.stringify(fixture), { filepath: file }));
console.log(`${fixture.reports.length} reports, cap ${fixture.capFromMs}–${fixture.capToMs} ms → ${file}`);
