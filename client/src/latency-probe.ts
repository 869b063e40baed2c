import type { Candidate, ProbeResult } from '@edgeplay/shared';

const SAMPLES = 5;
const TIMEOUT_MS = 1000;

async function sample(url: string): Promise<number> {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const started = performance.now();
    const response = await fetch(url, { cache: 'no-store', mode: 'cors', signal: controller.signal });
    if (!response.ok) throw new Error(`probe answered ${response.status}`);
    return performance.now() - started;
  } finally {
    window.clearTimeout(timer);
  }
}

/**
 * The median round-trip time to one edge over several requests, after one that opens
 * the connection; null when the edge did not answer (it then counts as unreachable).
 */
export async function measureRtt(url: string): Promise<number | null> {
  try {
    await sample(url);
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) times.push(await sample(url));
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? null;
  } catch {
    return null;
  }
}

/** Measures every candidate at once. */
export function probeCandidates(candidates: Candidate[]): Promise<ProbeResult[]> {
  return Promise.all(candidates.map(async (c) => ({ edgeId: c.edgeId, rttMs: await measureRtt(c.probeUrl) })));
}
