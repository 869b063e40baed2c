import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import {
  clockOffsetMs,
  ReceiptClockAnswerSchema,
  ReceiptMeter,
  type MeterSample,
  type UsageReceipt,
} from '@edgeplay/shared';
import { signReceipt, type SessionKey } from '@edgeplay/shared/node';
import { z } from 'zod';
import { ReceiptJournal } from './receipt-journal.js';
import { ReceiptSender } from './receipt-sender.js';
import { VideoMeter } from './video-meter.js';

/** What receipts need of the broker link: the key the broker accepted, and requests on its socket. */
export interface ReceiptLink {
  readonly signingKey: SessionKey | undefined;
  request(event: 'edge:receipts' | 'receipt:clock', payload: unknown): Promise<unknown>;
}

export interface EdgeReceiptsOptions {
  /** RECEIPT_JOURNAL_DIR: where receipts wait for the broker's acknowledgement. */
  dir: string;
  edgeId: string;
  router: mediasoup.types.Router;
  link: ReceiptLink;
  logger: Logger;
}

interface MeteredSession {
  meter: ReceiptMeter;
  timer: NodeJS.Timeout | undefined;
  lastRttMs: number | null;
  done: boolean;
}

const ClockAnswerSchema = ReceiptClockAnswerSchema.extend({ ok: z.literal(true) });

/**
 * The edge's side of usage receipts. For each session it meters the video sent to the
 * player (VideoMeter), cuts it into the session's slots on the broker's clock, signs each
 * slot's receipt with the session key the operator authorised, journals it, and sends it.
 * A session's metering begins with its first video packet and ends when the player's
 * consumer closes (a last, partial slot).
 */
export class EdgeReceipts {
  private readonly sessions = new Map<string, MeteredSession>();
  private offsetMs = 0;
  private readonly log: Logger;

  private constructor(
    private readonly options: EdgeReceiptsOptions,
    private readonly journal: ReceiptJournal,
    private readonly sender: ReceiptSender,
    private readonly video: VideoMeter,
  ) {
    this.log = options.logger.child({ part: 'receipts' });
    video.on('flowing', (sessionId) => this.flowing(sessionId));
    video.on('stopped', (sessionId) => this.stopped(sessionId));
  }

  static async open(options: EdgeReceiptsOptions): Promise<EdgeReceipts> {
    const journal = await ReceiptJournal.open(options.dir, options.edgeId, options.logger);
    const sender = new ReceiptSender(journal, options.link, options.logger);
    return new EdgeReceipts(options, journal, sender, new VideoMeter(options.router, options.logger));
  }

  /** The broker's clock, as well as this node knows it. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** A session began; `anchorAt` is its ticket's iat (slot 0 starts there). */
  sessionStarted(sessionId: string, anchorAt: number): void {
    const meter = new ReceiptMeter({ side: 'edge', sessionId, edgeId: this.options.edgeId, anchorAt });
    this.sessions.set(sessionId, { meter, timer: undefined, lastRttMs: null, done: false });
  }

  /** The session is over: its last slot was reported when the player's stream stopped. */
  sessionEnded(sessionId: string): void {
    this.stopped(sessionId);
    this.sessions.delete(sessionId);
    this.video.forget(sessionId);
  }

  /** After every (re)registration: learn the broker's clock again, and send what waits. */
  async linkRegistered(): Promise<void> {
    try {
      const sentAt = Date.now();
      const answer = ClockAnswerSchema.parse(await this.options.link.request('receipt:clock', {}));
      this.offsetMs = clockOffsetMs(sentAt, Date.now(), answer.now);
      this.log.info({ offsetMs: this.offsetMs }, 'broker clock offset');
    } catch (error) {
      this.log.warn({ error: String(error) }, 'could not read the broker clock; using ours');
    }
    await this.flush();
  }

  /** Receipts still waiting for the broker (for tests and health). */
  pending(): number {
    return this.journal.pending().length;
  }

  /** Stops metering; journalled receipts stay on disk for the next run. */
  async close(): Promise<void> {
    for (const session of this.sessions.values()) clearTimeout(session.timer);
    this.sessions.clear();
    this.sender.close();
    await this.journal.close();
  }

  private flowing(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.meter.begun) return;
    session.meter.begin(this.sample(sessionId, null));
    this.schedule(sessionId, session);
  }

  private stopped(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.done) return;
    session.done = true;
    clearTimeout(session.timer);
    // The consumer is gone: the round trip is the last one read.
    this.record(session.meter.take(this.sample(sessionId, session.lastRttMs), true));
  }

  private schedule(sessionId: string, session: MeteredSession): void {
    const due = session.meter.nextDueAt();
    if (due === undefined || session.done) return;
    session.timer = setTimeout(() => void this.tick(sessionId, session), Math.max(0, due - this.now()));
  }

  private async tick(sessionId: string, session: MeteredSession): Promise<void> {
    const sample = this.sample(sessionId, null);
    session.lastRttMs = (await this.video.rttMs(sessionId)) ?? session.lastRttMs;
    if (session.done) return;
    this.record(session.meter.take({ ...sample, rttMs: session.lastRttMs }));
    this.schedule(sessionId, session);
  }

  private sample(sessionId: string, rttMs: number | null): MeterSample {
    const totals = this.video.totals(sessionId) ?? { frames: 0, bytes: 0 };
    return { at: this.now(), frames: totals.frames, bytes: totals.bytes, rttMs };
  }

  private record(receipt: UsageReceipt | undefined): void {
    if (!receipt) return;
    const key = this.options.link.signingKey;
    if (!key) {
      this.log.error({ sessionId: receipt.sessionId, seq: receipt.seq }, 'no session key to sign a receipt with');
      return;
    }
    const signed = signReceipt(key, receipt);
    this.journal
      .append(signed)
      .then(() => this.flush())
      .catch((error: unknown) => this.log.error({ error: String(error), seq: receipt.seq }, 'receipt not journalled'));
  }

  private flush(): Promise<void> {
    return this.sender
      .flush()
      .catch((error: unknown) => this.log.error({ error: String(error) }, 'receipt journal could not be updated'));
  }
}
