import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { ACK_TIMEOUT_MS, type EventStats, type FromGenerator, type GeneratorReport } from './socket-load-world.js';

/*
 * What a load generator measures: the acknowledgement latency of every request it sends
 * (emit to ack, in this process), the answers by code, a few counters, and its own
 * event-loop delay and CPU — a late timer here would look like a slow broker, so the
 * report says how late this process itself was.
 */

/** `ok`, the error code of a refusal, or `UNKNOWN` for an answer of no known shape. */
export function outcomeOf(answer: unknown): string {
  if (typeof answer !== 'object' || answer === null) return 'UNKNOWN';
  const { ok, code } = answer as { ok?: unknown; code?: unknown };
  if (ok === true) return 'ok';
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export class AckRecorder {
  private measuring = false;
  private windowStart = 0;
  private cpuStart = process.cpuUsage();
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly events = new Map<string, EventStats>();
  private readonly counters: Record<string, number> = {};
  /** Requests sent in the window and not answered yet; the report waits for them (or their timeout). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly role: GeneratorReport['role']) {}

  /** One acknowledged request; a timeout resolves as `{ ok: false, code: 'TIMEOUT' }`. */
  async ask(socket: Socket, event: string, payload: unknown): Promise<unknown> {
    const measured = this.measuring;
    const start = performance.now();
    const asked = socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(event, payload)
      .catch((): unknown => ({ ok: false, code: 'TIMEOUT' }));
    if (!measured) return asked;
    this.inFlight.add(asked);
    const answer: unknown = await asked;
    this.inFlight.delete(asked);
    this.record(event, outcomeOf(answer), performance.now() - start);
    return answer;
  }

  /** Counts something that happened while measuring. */
  count(name: string, by = 1): void {
    if (this.measuring) this.counters[name] = (this.counters[name] ?? 0) + by;
  }

  startMeasuring(): void {
    this.measuring = true;
    this.windowStart = performance.now();
    this.cpuStart = process.cpuUsage();
    this.loop.reset();
    this.loop.enable();
  }

  /** Ends the window; resolves once every request sent in it is answered or timed out. */
  async report(): Promise<GeneratorReport> {
    this.measuring = false;
    this.loop.disable();
    const cpu = process.cpuUsage(this.cpuStart);
    const windowMs = performance.now() - this.windowStart;
    await Promise.all(this.inFlight);
    return {
      role: this.role,
      events: Object.fromEntries(this.events),
      counters: { ...this.counters },
      loopDelay: {
        p50: this.loop.percentile(50) / 1e6,
        p99: this.loop.percentile(99) / 1e6,
        max: this.loop.max / 1e6,
      },
      cpuMs: (cpu.user + cpu.system) / 1000,
      windowMs,
    };
  }

  private record(event: string, outcome: string, latencyMs: number): void {
    let stats = this.events.get(event);
    if (!stats) {
      stats = { latencies: [], answers: {} };
      this.events.set(event, stats);
    }
    // A timeout has no latency worth pooling: it is counted, and the target fails on it.
    if (outcome !== 'TIMEOUT') stats.latencies.push(latencyMs);
    stats.answers[outcome] = (stats.answers[outcome] ?? 0) + 1;
  }
}

/** Sends a message to the bench process (this one is its fork). */
export function tellBench(message: FromGenerator): void {
  process.send?.(message);
}

/** Reports an error to the bench and exits: a load generator that cannot make its load must not look idle. */
export function failGenerator(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (!process.send) {
    console.error(message);
    process.exit(1);
  }
  process.send({ type: 'error', message } satisfies FromGenerator, () => process.exit(1));
}

/** A socket.io client of its own (one websocket per page or edge, as separate machines have). */
export const CLIENT_OPTIONS: Partial<ManagerOptions & SocketOptions> = {
  transports: ['websocket'],
  forceNew: true,
  reconnection: false,
};
