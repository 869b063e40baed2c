import type { StreamStats } from './stream-stats.js';

/** What the player is shown when a session ends: how it went, in a few figures. */
export interface SessionTotals {
  playedSeconds: number;
  averageFps: number | undefined;
  medianRttMs: number | undefined;
  averageBitrateKbps: number | undefined;
  framesDecoded: number;
  packetsLost: number;
  inputToPhotonMs: number | undefined;
}

const median = (values: number[]): number | undefined => {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mean = (values: number[]): number | undefined =>
  values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : undefined;

/** Collects the overlay's per-second figures over a whole session. */
export class SessionSummary {
  private readonly startedAt: number;
  private readonly fps: number[] = [];
  private readonly rtt: number[] = [];
  private readonly bitrate: number[] = [];
  private last: StreamStats | undefined;

  constructor(now = performance.now()) {
    this.startedAt = now;
  }

  add(stats: StreamStats): void {
    if (stats.fps !== undefined) this.fps.push(stats.fps);
    if (stats.rttMs !== undefined) this.rtt.push(stats.rttMs);
    if (stats.bitrateKbps !== undefined) this.bitrate.push(stats.bitrateKbps);
    this.last = stats;
  }

  totals(inputToPhotonMs: number | undefined, now = performance.now()): SessionTotals {
    return {
      playedSeconds: Math.round((now - this.startedAt) / 1000),
      averageFps: mean(this.fps),
      medianRttMs: median(this.rtt),
      averageBitrateKbps: mean(this.bitrate),
      framesDecoded: this.last?.framesDecoded ?? 0,
      packetsLost: this.last?.packetsLost ?? 0,
      inputToPhotonMs,
    };
  }
}

const duration = (seconds: number): string =>
  seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
const ms = (value: number | undefined): string => (value === undefined ? 'not measured' : `${Math.round(value)} ms`);

/** The summary as label/value pairs, in the order the page lists them. */
export function describeTotals(totals: SessionTotals): [string, string][] {
  return [
    ['Played', duration(totals.playedSeconds)],
    ['Frame rate', totals.averageFps === undefined ? 'not measured' : `${Math.round(totals.averageFps)} fps average`],
    ['Round trip', ms(totals.medianRttMs)],
    ['Input to picture', ms(totals.inputToPhotonMs)],
    [
      'Bitrate',
      totals.averageBitrateKbps === undefined
        ? 'not measured'
        : `${(totals.averageBitrateKbps / 1000).toFixed(1)} Mbit/s average`,
    ],
    ['Frames', `${totals.framesDecoded} decoded, ${totals.packetsLost} packets lost`],
  ];
}
