/** What the overlay shows, read from the recv transport's WebRTC statistics. */
export interface StreamStats {
  fps: number | undefined;
  bitrateKbps: number | undefined;
  rttMs: number | undefined;
  /** Mean time frames waited in the jitter buffer over the last interval. */
  jitterBufferMs: number | undefined;
  /** Mean decode time per frame over the last interval. */
  decodeMs: number | undefined;
  framesDecoded: number;
  packetsLost: number;
  /** Median measured input-to-photon time of recent inputs (PhotonTimer); set by the page. */
  inputToPhotonMs?: number | undefined;
  /** The sound: bitrate over the last interval, and packets received so far. */
  audioKbps: number | undefined;
  audioPackets: number;
  /**
   * How loud it was over the last interval, 0 (silence) to 1 (full scale): the root mean
   * square of the browser's audio level (its per-frame peak) over the interval, from the
   * growth of totalAudioEnergy over totalSamplesDuration.
   */
  audioLevel: number | undefined;
  /** Mean time sound waited in the jitter buffer over the last interval. */
  audioJitterBufferMs: number | undefined;
}

interface Sample {
  at: number;
  bytes: number;
  jitterDelay: number;
  jitterEmitted: number;
  decodeTime: number;
  framesDecoded: number;
  audioBytes: number;
  audioEnergy: number;
  audioDuration: number;
  audioJitterDelay: number;
  audioJitterEmitted: number;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** Turns successive RTCStatsReports into per-interval figures. */
export class StreamStatsReader {
  private last: Sample | undefined;

  read(report: RTCStatsReport): StreamStats {
    let inbound: Record<string, unknown> | undefined;
    let pair: Record<string, unknown> | undefined;
    let audio: Record<string, unknown> | undefined;
    report.forEach((entry: Record<string, unknown>) => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'video') inbound = entry;
      if (entry.type === 'inbound-rtp' && entry.kind === 'audio') audio = entry;
      if (entry.type === 'candidate-pair' && entry.state === 'succeeded' && (entry.nominated || !pair)) pair = entry;
    });
    const sample: Sample = {
      at: performance.now(),
      bytes: num(inbound?.bytesReceived),
      jitterDelay: num(inbound?.jitterBufferDelay),
      jitterEmitted: num(inbound?.jitterBufferEmittedCount),
      decodeTime: num(inbound?.totalDecodeTime),
      framesDecoded: num(inbound?.framesDecoded),
      audioBytes: num(audio?.bytesReceived),
      audioEnergy: num(audio?.totalAudioEnergy),
      audioDuration: num(audio?.totalSamplesDuration),
      audioJitterDelay: num(audio?.jitterBufferDelay),
      audioJitterEmitted: num(audio?.jitterBufferEmittedCount),
    };
    const last = this.last;
    this.last = sample;
    const per = (value: number, count: number): number | undefined => (count > 0 ? (value / count) * 1000 : undefined);
    const rtt = pair?.currentRoundTripTime;
    const fps = inbound?.framesPerSecond;
    return {
      fps: typeof fps === 'number' ? fps : undefined,
      bitrateKbps: last && sample.at > last.at ? ((sample.bytes - last.bytes) * 8) / (sample.at - last.at) : undefined,
      rttMs: typeof rtt === 'number' ? rtt * 1000 : undefined,
      jitterBufferMs: last
        ? per(sample.jitterDelay - last.jitterDelay, sample.jitterEmitted - last.jitterEmitted)
        : undefined,
      decodeMs: last ? per(sample.decodeTime - last.decodeTime, sample.framesDecoded - last.framesDecoded) : undefined,
      framesDecoded: sample.framesDecoded,
      packetsLost: num(inbound?.packetsLost),
      audioKbps:
        audio && last && sample.at > last.at
          ? ((sample.audioBytes - last.audioBytes) * 8) / (sample.at - last.at)
          : undefined,
      audioPackets: num(audio?.packetsReceived),
      // totalAudioEnergy sums level² × duration, so energy ÷ duration is the mean square level.
      audioLevel:
        audio && last && sample.audioDuration > last.audioDuration
          ? Math.sqrt((sample.audioEnergy - last.audioEnergy) / (sample.audioDuration - last.audioDuration))
          : undefined,
      audioJitterBufferMs:
        audio && last
          ? per(sample.audioJitterDelay - last.audioJitterDelay, sample.audioJitterEmitted - last.audioJitterEmitted)
          : undefined,
    };
  }
}

const show = (value: number | undefined, digits = 0): string => (value === undefined ? '–' : value.toFixed(digits));

export function formatStats(stats: StreamStats): string {
  const rate = stats.bitrateKbps === undefined ? '–' : (stats.bitrateKbps / 1000).toFixed(1);
  return (
    `${show(stats.fps)} fps · ${rate} Mbit/s · RTT ${show(stats.rttMs)} ms\n` +
    `jitter buffer ${show(stats.jitterBufferMs)} ms · decode ${show(stats.decodeMs, 1)} ms · lost ${stats.packetsLost}\n` +
    `input → picture ${show(stats.inputToPhotonMs)} ms` +
    (stats.audioKbps === undefined
      ? ''
      : `\nsound ${show(stats.audioKbps)} kbit/s · buffer ${show(stats.audioJitterBufferMs)} ms`)
  );
}
