/** What the overlay shows, read from the recv transport's WebRTC statistics. */
export interface StreamStats {
  fps: number | undefined;
  bitrateKbps: number | undefined;
  rttMs: number | undefined;
  framesDecoded: number;
  packetsLost: number;
}

interface Sample {
  at: number;
  bytes: number;
}

/** Turns successive RTCStatsReports into per-second figures. */
export class StreamStatsReader {
  private last: Sample | undefined;

  read(report: RTCStatsReport): StreamStats {
    let inbound: Record<string, unknown> | undefined;
    let pair: Record<string, unknown> | undefined;
    report.forEach((entry: Record<string, unknown>) => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'video') inbound = entry;
      if (entry.type === 'candidate-pair' && entry.state === 'succeeded' && (entry.nominated || !pair)) pair = entry;
    });
    const now = performance.now();
    const bytes = typeof inbound?.bytesReceived === 'number' ? inbound.bytesReceived : 0;
    let bitrateKbps: number | undefined;
    if (this.last && now > this.last.at) bitrateKbps = ((bytes - this.last.bytes) * 8) / (now - this.last.at);
    this.last = { at: now, bytes };
    const rtt = pair?.currentRoundTripTime;
    const fps = inbound?.framesPerSecond;
    return {
      fps: typeof fps === 'number' ? fps : undefined,
      bitrateKbps,
      rttMs: typeof rtt === 'number' ? rtt * 1000 : undefined,
      framesDecoded: typeof inbound?.framesDecoded === 'number' ? inbound.framesDecoded : 0,
      packetsLost: typeof inbound?.packetsLost === 'number' ? inbound.packetsLost : 0,
    };
  }
}

export function formatStats(stats: StreamStats): string {
  const fps = stats.fps === undefined ? '–' : stats.fps.toFixed(0);
  const rate = stats.bitrateKbps === undefined ? '–' : (stats.bitrateKbps / 1000).toFixed(1);
  const rtt = stats.rttMs === undefined ? '–' : stats.rttMs.toFixed(0);
  return `${fps} fps · ${rate} Mbit/s · RTT ${rtt} ms`;
}
