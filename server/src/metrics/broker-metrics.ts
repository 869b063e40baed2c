import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Namespace } from 'socket.io';

/**
 * The broker's Prometheus metrics, one registry per broker instance (no process-wide
 * default registry, so two brokers in one test process do not share counters).
 *
 * Placement and queue figures are taken where the player feels them: from the moment a
 * request event arrives on the socket to the moment its acknowledgement leaves, by a
 * socket middleware — so they cover validation, scoring, the Store and ticket signing.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly placements = new Counter({
    name: 'edgeplay_placements_total',
    help: 'Placement requests answered, by outcome (placed, or the error code)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly placementSeconds = new Histogram({
    name: 'edgeplay_placement_seconds',
    help: 'Time from a session:request arriving to its answer leaving',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly queueJoins = new Counter({
    name: 'edgeplay_queue_joins_total',
    help: 'Players who joined a waiting queue, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly sessionEvents = new Counter({
    name: 'edgeplay_session_events_total',
    help: 'Session state changes reported by edges connected to this broker',
    labelNames: ['state'],
    registers: [this.registry],
  });

  private readonly receipts = new Counter({
    name: 'edgeplay_receipts_total',
    help: 'Usage receipts answered, by who signed them (player, edge) and the answer (accepted, duplicate, or the error code)',
    labelNames: ['side', 'outcome'],
    registers: [this.registry],
  });

  /**
   * `publishes`: the payout publish records (epoch roots), when payouts are on; scraped as the
   * number of epochs in each state.
   */
  constructor(
    players: Namespace,
    edges: Namespace,
    waiting: () => number,
    publishes?: () => Promise<readonly { status: string }[]>,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'edgeplay_broker_' });
    new Gauge({
      name: 'edgeplay_player_sockets',
      help: 'Player pages connected to this broker process',
      registers: [this.registry],
      collect() {
        this.set(players.sockets.size);
      },
    });
    new Gauge({
      name: 'edgeplay_edge_sockets',
      help: 'Edge nodes connected to this broker process',
      registers: [this.registry],
      collect() {
        this.set(edges.sockets.size);
      },
    });
    new Gauge({
      name: 'edgeplay_queue_length',
      help: 'Players waiting in line for a free slot whose page is connected to this broker (sum over brokers: all)',
      registers: [this.registry],
      collect() {
        this.set(waiting());
      },
    });
    if (publishes) {
      new Gauge({
        name: 'edgeplay_payout_epochs',
        help: 'Epoch roots by publish state (pending, submitted, confirmed, failed)',
        labelNames: ['status'],
        registers: [this.registry],
        async collect() {
          const counts = new Map(['pending', 'submitted', 'confirmed', 'failed'].map((status) => [status, 0]));
          for (const { status } of await publishes()) counts.set(status, (counts.get(status) ?? 0) + 1);
          for (const [status, count] of counts) this.set({ status }, count);
        },
      });
    }
  }

  /** Times and counts the answers to `session:request` and `queue:join` of one player socket. */
  observePlayerRequests(packet: unknown[]): void {
    const [event] = packet;
    if (event === 'receipt:submit') {
      this.onAnswer(packet, (answer) => this.countReceipt('player', answer));
      return;
    }
    if (event !== 'session:request' && event !== 'queue:join') return;
    const ackAt = packet.length - 1;
    const ack = packet[ackAt];
    if (typeof ack !== 'function') return;
    const stop = event === 'session:request' ? this.placementSeconds.startTimer() : undefined;
    packet[ackAt] = (answer: unknown, ...rest: unknown[]) => {
      stop?.();
      const outcome = outcomeOf(answer, event === 'session:request' ? 'placed' : 'queued');
      (event === 'session:request' ? this.placements : this.queueJoins).inc({ outcome });
      (ack as (...args: unknown[]) => void)(answer, ...rest);
    };
  }

  /** Counts session state changes the edges report (`edge:session`) and their receipts' answers. */
  observeEdgeEvents(packet: unknown[]): void {
    const [event, payload] = packet;
    if (event === 'edge:receipts') {
      this.onAnswer(packet, (answer) => {
        const results = (answer as { results?: unknown } | undefined)?.results;
        if (Array.isArray(results)) for (const result of results) this.countReceipt('edge', result);
        else this.countReceipt('edge', answer); // the whole batch refused
      });
      return;
    }
    if (event !== 'edge:session' || typeof payload !== 'object' || payload === null) return;
    const state = (payload as { state?: unknown }).state;
    if (typeof state === 'string' && /^[a-z]{1,16}$/.test(state)) this.sessionEvents.inc({ state });
  }
  private countReceipt(side: 'player' | 'edge', answer: unknown): void {
    this.receipts.inc({ side, outcome: receiptOutcome(answer) });
  }

  /** Calls `seen` with the answer as the event's acknowledgement leaves. */
  private onAnswer(packet: unknown[], seen: (answer: unknown) => void): void {
    const ackAt = packet.length - 1;
    const ack = packet[ackAt];
    if (typeof ack !== 'function') return;
    packet[ackAt] = (answer: unknown, ...rest: unknown[]) => {
      seen(answer);
      (ack as (...args: unknown[]) => void)(answer, ...rest);
    };
  }
}

function receiptOutcome(answer: unknown): string {
  if (typeof answer !== 'object' || answer === null) return 'unknown';
  const { status, code } = answer as { status?: unknown; code?: unknown };
  if (status === 'accepted' || status === 'duplicate') return status;
  return typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code) ? code : 'unknown';
}

function outcomeOf(answer: unknown, success: string): string {
  if (typeof answer !== 'object' || answer === null) return 'unknown';
  const { ok, code } = answer as { ok?: unknown; code?: unknown };
  if (ok === true) return success;
  return typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code) ? code : 'unknown';
}
