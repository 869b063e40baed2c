import { beforeAll, describe, expect, it } from 'vitest';
import { runCapScenario, type CapScenarioResult } from './src/cap-scenario.js';
import { summarize, timeline } from './src/cap-report.js';
import { longestFreezeMs, presentedFps } from './src/stream-measures.js';

const CAP_KBIT = 2000;
/** Time the edge gets to notice the cap and settle below it before fps is held to account. */
const SETTLE_MS = 5000;

/**
 * Adaptive quality, as a player sees it. The edge runs the motion test title (a picture that
 * needs ~3 Mbit/s and spends whatever it is given) in its own network namespace behind a
 * link with 20 ms of round trip; real Chromium plays it. The link is then capped at 2 Mbit/s
 * with `tc tbf` (100 ms of queue, like a slow access link), and later freed again.
 *
 * Without adaptation the encoder would keep sending ~3 Mbit/s into a 2 Mbit/s link: a third of
 * the packets lost, frames that never complete, and a picture that stands still. The edge
 * instead follows mediasoup's bandwidth estimate of the player's link down and back up.
 */
describe('adaptive quality under a 2 Mbit/s cap', () => {
  let run: CapScenarioResult;

  beforeAll(async () => {
    run = await runCapScenario({
      capKbit: CAP_KBIT,
      rttMs: 20,
      uncappedMs: 10_000,
      aboveCapTimeoutMs: 30_000,
      cappedMs: 25_000,
      recoveryTimeoutMs: 30_000,
      afterRecoveryMs: 3000,
      logDir: '.tmp/e2e-logs/adaptive-quality',
      // The edge's link reports and encoder figures, each second, for whoever reads a failure.
      logLevel: 'debug',
    });
    // What happened, second by second, for whoever reads a failure.
    for (const row of timeline(run)) console.log(JSON.stringify(row));
  }, 200_000);

  it('streams above the cap while the link is free', () => {
    // The cap is a real constraint for this title: the page received more than it in each of
    // the three seconds before it struck (the scenario waits for that, up to 30 s).
    const before = run.samples.filter((s) => s.at < run.uncapped.to).slice(-3);
    expect(before).toHaveLength(3);
    for (const sample of before) expect(sample.bitrateKbps).toBeGreaterThan(CAP_KBIT);
  });

  it('stays live under the cap: at least 25 fps and no freeze over a second', () => {
    const { capped } = run;
    // The edge took its encoder below the cap.
    const below = run.decisions.filter((d) => d.at >= capped.from && d.at < capped.to && d.bitrateKbps < CAP_KBIT);
    expect(below.length).toBeGreaterThan(0);
    expect((below[0]?.at ?? Infinity) - capped.from).toBeLessThan(SETTLE_MS);
    // No freeze over a second, the moment the cap struck included …
    const freezeMs = longestFreezeMs(run.frames, capped.from, capped.to);
    console.log(`longest freeze under the cap: ${Math.round(freezeMs)} ms`);
    expect(freezeMs).toBeLessThan(1000);
    // … and once it has settled, the player gets at least 25 frames a second.
    expect(presentedFps(run.frames, capped.from + SETTLE_MS, capped.to)).toBeGreaterThanOrEqual(25);
    // What arrived fitted the link (the page's received bitrate, once a second).
    const received = summarize(run, { from: capped.from + SETTLE_MS, to: capped.to });
    expect(received.medianKbps).toBeLessThan(CAP_KBIT);
  });

  it('climbs back above the cap within seconds of the cap being lifted, and keeps playing', () => {
    expect(run.climbedAt).toBeDefined();
    const seconds = ((run.climbedAt ?? Infinity) - run.recovery.from) / 1000;
    console.log(`above ${CAP_KBIT} kbit/s again ${seconds.toFixed(1)} s after the cap was lifted`);
    expect(seconds).toBeLessThan(20);
    // Climbing back changes bitrate and picture size several times; the picture keeps moving.
    // (Looser than under the cap: at full size and bitrate, Chromium's software decoding is what
    // a loaded 2-core machine starves first, with or without any cap.)
    expect(presentedFps(run.frames, run.recovery.from, run.recovery.to)).toBeGreaterThanOrEqual(15);
    expect(longestFreezeMs(run.frames, run.recovery.from, run.recovery.to)).toBeLessThan(2000);
  });
});
