import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { GpuInfo } from '@edgeplay/shared';

export interface StreamReading {
  sessionId: string;
  bitrateBps: number;
  score: number;
  /** Frames the encoder delivered in its last second; absent where the encoder does not report (NVENC via ffmpeg). */
  fps?: number | undefined;
}

export interface EdgeMetricsSources {
  maxSessions: number;
  sessions(): number;
  /** Fresh GPU readings; undefined on a CPU-only node. */
  gpus(): Promise<GpuInfo[] | undefined>;
  /** Per running session, the video stream mediasoup receives from the encoder. */
  streams(): Promise<StreamReading[]>;
}

/** One reading shared by every gauge of a scrape (prom-client collects all gauges at once). */
function perScrape<T>(read: () => Promise<T>, maxAgeMs = 200): () => Promise<T> {
  let last: { at: number; reading: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > maxAgeMs) last = { at: now, reading: read() };
    return last.reading;
  };
}

/**
 * The edge node's Prometheus metrics, one registry per node instance. Everything is read
 * at scrape time from the node's own state (and nvidia-smi, with its timeout), so nothing
 * has to be updated on the hot path.
 */
export function createEdgeMetrics(sources: EdgeMetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'edgeplay_edge_' });
  const registers = [registry];
  const gpus = perScrape(async () => (await sources.gpus()) ?? []);
  const streams = perScrape(() => sources.streams());

  new Gauge({
    name: 'edgeplay_edge_sessions',
    help: 'Sessions running on this node',
    registers,
    collect() {
      this.set(sources.sessions());
    },
  });
  new Gauge({ name: 'edgeplay_edge_max_sessions', help: 'Sessions this node accepts at most', registers }).set(
    sources.maxSessions,
  );
  new Gauge({
    name: 'edgeplay_edge_gpus',
    help: 'NVIDIA GPUs nvidia-smi reports (0: a CPU-only node)',
    registers,
    async collect() {
      this.set((await gpus()).length);
    },
  });
  const perGpu = (name: string, help: string, read: (gpu: GpuInfo) => number | undefined): void => {
    new Gauge({
      name,
      help,
      labelNames: ['gpu', 'model'],
      registers,
      async collect() {
        this.reset();
        for (const gpu of await gpus()) {
          const value = read(gpu);
          if (value !== undefined) this.set({ gpu: String(gpu.index), model: gpu.model }, value);
        }
      },
    });
  };
  perGpu('edgeplay_edge_gpu_utilization_percent', 'GPU utilization (nvidia-smi)', (gpu) => gpu.utilizationPercent);
  perGpu('edgeplay_edge_gpu_temperature_celsius', 'GPU temperature (nvidia-smi)', (gpu) => gpu.temperatureC);
  perGpu(
    'edgeplay_edge_gpu_encoder_utilization_percent',
    'NVENC load (nvidia-smi)',
    (gpu) => gpu.encoder.utilizationPercent,
  );
  perGpu('edgeplay_edge_gpu_encoder_sessions', 'NVENC sessions (nvidia-smi)', (gpu) => gpu.encoder.sessions);

  const perStream = (name: string, help: string, read: (stream: StreamReading) => number | undefined): void => {
    new Gauge({
      name,
      help,
      labelNames: ['session'],
      registers,
      async collect() {
        this.reset();
        for (const stream of await streams()) {
          const value = read(stream);
          if (value !== undefined) this.set({ session: stream.sessionId }, value);
        }
      },
    });
  };
  perStream(
    'edgeplay_edge_stream_bitrate_bps',
    'Video bitrate the SFU receives from each session encoder',
    (s) => s.bitrateBps,
  );
  perStream('edgeplay_edge_stream_score', 'mediasoup score (0-10) of each session video stream', (s) => s.score);
  perStream('edgeplay_edge_stream_fps', 'Frames each session encoder delivered in its last second', (s) => s.fps);
  return registry;
}
