import type { Socket } from 'socket.io-client';
import {
  clockOffsetMs,
  readTicketPayload,
  ReceiptAnswerSchema,
  ReceiptClockAnswerSchema,
  receiptSigningMessage,
  ReceiptMeter,
  type MeterSample,
  type SessionPlacement,
  type SignedReceipt,
  type UsageReceipt,
} from '@edgeplay/shared';
import type { PlayerKey } from './player-key.js';
import { request, RequestError } from './signaling.js';

/** What the page has heard back about its receipts (shown to tools reading the page). */
export interface ReceiptCounts {
  sent: number;
  /** Slots the broker credited when this page's receipt completed them. */
  verified: number;
  rejected: number;
}

export interface ReceiptReporterDeps {
  broker: Socket;
  playerKey: PlayerKey;
  placement: SessionPlacement;
  /** The recv transport's statistics; undefined once it is gone. */
  readStats: () => Promise<RTCStatsReport | undefined>;
  onCounts?: (counts: ReceiptCounts) => void;
}

/** Codes worth sending the same receipt again for later; any other refusal is final. */
const RETRY_CODES = new Set(['TIMEOUT', 'RATE_LIMITED', 'INTERNAL']);

/**
 * The page's side of usage receipts: every slot of the session (counted from the
 * ticket's iat on the broker's clock) it signs what it decoded with its player key and
 * hands it to the broker (`receipt:submit`), in order, retrying what did not get through.
 */
export class ReceiptReporter {
  private readonly meter: ReceiptMeter;
  private offsetMs = 0;
  private timer: number | undefined;
  private readonly queue: SignedReceipt[] = [];
  private sending = false;
  private stopped = false;
  private readonly counts: ReceiptCounts = { sent: 0, verified: 0, rejected: 0 };

  constructor(private readonly deps: ReceiptReporterDeps) {
    const { placement } = deps;
    this.meter = new ReceiptMeter({
      side: 'player',
      sessionId: placement.sessionId,
      edgeId: placement.edge.edgeId,
      anchorAt: readTicketPayload(placement.ticket).iat,
    });
  }

  /** Call once the picture plays: learns the broker's clock, then meters from now on. */
  async start(): Promise<void> {
    try {
      const sentAt = Date.now();
      const answer = ReceiptClockAnswerSchema.parse(await request(this.deps.broker, 'receipt:clock', {}));
      this.offsetMs = clockOffsetMs(sentAt, Date.now(), answer.now);
    } catch (error) {
      console.warn('could not read the broker clock; receipts use this computer’s', error);
    }
    const sample = await this.sample();
    if (!sample || this.stopped) return;
    this.meter.begin(sample);
    this.schedule();
  }

  /** The player ends the session: one last receipt for the partial slot, while the stream is still there. */
  async finish(): Promise<void> {
    if (this.stopped) return;
    this.stop();
    const sample = await this.sample();
    if (sample) await this.submit(this.meter.take(sample, true));
  }

  /** The stream is gone (ended by the node, a crash): no more receipts. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private now(): number {
    return Date.now() + this.offsetMs;
  }

  private schedule(): void {
    const due = this.meter.nextDueAt();
    if (due === undefined || this.stopped) return;
    this.timer = window.setTimeout(() => void this.tick(), Math.max(0, due - this.now()));
  }

  private async tick(): Promise<void> {
    const sample = await this.sample();
    if (this.stopped) return;
    if (sample) await this.submit(this.meter.take(sample));
    this.schedule();
  }

  /** Running totals from the recv transport: frames received, bytes received, the candidate pair's RTT. */
  private async sample(): Promise<MeterSample | undefined> {
    const at = this.now();
    let report: RTCStatsReport | undefined;
    try {
      report = await this.deps.readStats();
    } catch (error) {
      console.warn('could not read stream statistics for a receipt', error);
    }
    if (!report) return undefined;
    let frames = 0;
    let bytes = 0;
    let rttMs: number | null = null;
    report.forEach((entry: Record<string, unknown>) => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'video') {
        // Frames received, not decoded: delivery is what the operator answers for; a player's
        // busy CPU dropping frames before decode is not the edge's fault.
        frames += typeof entry.framesReceived === 'number' ? entry.framesReceived : 0;
        bytes += typeof entry.bytesReceived === 'number' ? entry.bytesReceived : 0;
      }
      const rtt = entry.currentRoundTripTime;
      if (entry.type === 'candidate-pair' && entry.state === 'succeeded' && typeof rtt === 'number') {
        if (entry.nominated || rttMs === null) rttMs = rtt * 1000;
      }
    });
    return { at, frames, bytes, rttMs };
  }

  private async submit(receipt: UsageReceipt | undefined): Promise<void> {
    if (!receipt) return;
    const signature = await this.deps.playerKey.sign(receiptSigningMessage(receipt));
    this.queue.push({ receipt, signer: this.deps.playerKey.publicKeyHex, signature });
    // Not awaited: ending a session never waits for the broker's answer.
    this.flush().catch((error: unknown) => console.warn('could not send receipts', error));
  }

  /** Sends queued receipts oldest first; stops at the first that may succeed later. */
  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let next = this.queue[0]; next; next = this.queue[0]) {
        try {
          const answer = ReceiptAnswerSchema.parse(await request(this.deps.broker, 'receipt:submit', next));
          this.counts.sent += 1;
          if (answer.interval === 'verified') this.counts.verified += 1;
        } catch (error) {
          const code = error instanceof RequestError ? error.answer.code : 'INVALID_MESSAGE';
          if (RETRY_CODES.has(code)) break;
          this.counts.rejected += 1;
          console.warn(`the broker refused the receipt for slot ${next.receipt.seq}`, error);
        }
        this.queue.shift();
        this.deps.onCounts?.({ ...this.counts });
      }
    } finally {
      this.sending = false;
    }
  }
}
