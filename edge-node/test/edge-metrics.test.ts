import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEdgeMetrics } from '../src/telemetry/edge-metrics.js';
import { parseNvidiaSmiXml } from '../src/telemetry/gpu-probe.js';

describe('edge metrics', () => {
  it('reports each GPU nvidia-smi reads, and a CPU-only node as zero GPUs', async () => {
    const xml = await readFile(new URL('./fixtures/nvidia-smi/l4-x2.xml', import.meta.url), 'utf8');
    const probe = await parseNvidiaSmiXml(xml, pino({ level: 'silent' }));
    if (probe.kind !== 'nvidia') throw new Error('fixture did not parse');
    let gpus: typeof probe.gpus | undefined = probe.gpus;
    const registry = createEdgeMetrics({
      maxSessions: 4,
      sessions: () => 2,
      gpus: async () => gpus,
      streams: async () => [
        { sessionId: 's-1', bitrateBps: 2_500_000, score: 10, fps: 58 },
        { sessionId: 's-2', bitrateBps: 6_000_000, score: 9 },
      ],
    });
    const text = await registry.metrics();
    expect(text).toMatch(/^edgeplay_edge_gpus 2$/m);
    expect(text).toMatch(/^edgeplay_edge_sessions 2$/m);
    expect(text).toMatch(/^edgeplay_edge_max_sessions 4$/m);
    for (const gpu of probe.gpus) {
      const labels = `gpu="${gpu.index}",model="${gpu.model}"`;
      if (gpu.temperatureC !== undefined)
        expect(text).toContain(`edgeplay_edge_gpu_temperature_celsius{${labels}} ${gpu.temperatureC}`);
      if (gpu.utilizationPercent !== undefined)
        expect(text).toContain(`edgeplay_edge_gpu_utilization_percent{${labels}} ${gpu.utilizationPercent}`);
      expect(text).toContain(`edgeplay_edge_gpu_encoder_sessions{${labels}} ${gpu.encoder.sessions}`);
    }
    expect(text).toContain('edgeplay_edge_stream_bitrate_bps{session="s-1"} 2500000');
    expect(text).toContain('edgeplay_edge_stream_fps{session="s-1"} 58');
    // An encoder that does not report its frames (NVENC through ffmpeg) has no fps sample.
    expect(text).toContain('edgeplay_edge_stream_bitrate_bps{session="s-2"} 6000000');
    expect(text).not.toContain('edgeplay_edge_stream_fps{session="s-2"}');

    gpus = undefined;
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the per-scrape reading
    const cpuOnly = await registry.metrics();
    expect(cpuOnly).toMatch(/^edgeplay_edge_gpus 0$/m);
    expect(cpuOnly).not.toContain('edgeplay_edge_gpu_temperature_celsius{');
  });
});
