import type { CapScenarioResult, Window } from './cap-scenario.js';
import { framesIn, longestFreezeMs, median, presentedFps } from './stream-measures.js';

/** What one second of a capped run looked like to the player, and what the edge was sending then. */
export interface TimelineRow {
  /** Seconds since the stream was first watched. */
  second: number;
  phase: 'free' | 'capped' | 'freed';
  receivedKbps: number | undefined;
  presentedFps: number;
  longestFreezeMs: number;
  /** The picture size the page decoded. */
  size: string;
  /** The edge's encoder setting at the end of that second. */
  encoderKbps: number | undefined;
  encoderFormat: string | undefined;
}

export function timeline(run: CapScenarioResult): TimelineRow[] {
  const start = run.uncapped.from;
  const end = run.recovery.to;
  const rows: TimelineRow[] = [];
  for (let from = start, second = 0; from + 1000 <= end; from += 1000, second++) {
    const to = from + 1000;
    const phase = to <= run.capped.from ? 'free' : to <= run.capped.to ? 'capped' : 'freed';
    const inside = framesIn(run.frames, from, to);
    const last = inside[inside.length - 1];
    const sample = run.samples.filter((s) => s.at >= from && s.at < to).at(-1);
    const decision = run.decisions.filter((d) => d.at < to).at(-1);
    rows.push({
      second,
      phase,
      receivedKbps: sample?.bitrateKbps,
      presentedFps: presentedFps(run.frames, from, to),
      longestFreezeMs: longestFreezeMs(run.frames, from, to),
      size: last ? `${last.width}×${last.height}` : '–',
      encoderKbps: decision?.bitrateKbps,
      encoderFormat: decision ? `${decision.width}×${decision.height}@${decision.fps}` : undefined,
    });
  }
  return rows;
}

export interface PhaseSummary {
  medianKbps: number;
  fps: number;
  longestFreezeMs: number;
}

export function summarize(run: CapScenarioResult, window: Window): PhaseSummary {
  const kbps = run.samples.filter((s) => s.at >= window.from && s.at < window.to).map((s) => s.bitrateKbps ?? NaN);
  return {
    medianKbps: median(kbps),
    fps: presentedFps(run.frames, window.from, window.to),
    longestFreezeMs: longestFreezeMs(run.frames, window.from, window.to),
  };
}
