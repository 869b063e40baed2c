import type { Logger } from 'pino';
import { z } from 'zod';
import { EdgeReceiptsAnswerSchema, ErrorAnswerSchema, MAX_RECEIPT_BATCH } from '@edgeplay/shared';
import { receiptId, type ReceiptJournal } from './receipt-journal.js';

/** How the sender reaches the broker (BrokerLink.request). */
export interface ReceiptChannel {
  request(event: 'edge:receipts', payload: unknown): Promise<unknown>;
}

const AnswerSchema = z.union([EdgeReceiptsAnswerSchema.extend({ ok: z.literal(true) }), ErrorAnswerSchema]);

/** While receipts wait, how often to try the broker again. */
const RETRY_MS = 5_000;

/**
 * Hands the journal's receipts to the broker in batches, oldest first. The broker answers
 * each receipt: accepted or duplicate (it has it) and rejected (it never will: a bad
 * receipt is not resent forever) are acknowledged in the journal. A batch that fails as a
 * whole (no connection, a timeout, RATE_LIMITED, the broker's INTERNAL) stays in the
 * journal and is sent again on the next flush: after a reconnect, or every few seconds.
 */
export class ReceiptSender {
  private flushing: Promise<void> | undefined;
  private again = false;
  private readonly timer: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    private readonly journal: ReceiptJournal,
    private readonly channel: ReceiptChannel,
    logger: Logger,
    retryMs = RETRY_MS,
  ) {
    this.log = logger.child({ part: 'receipt-sender' });
    this.timer = setInterval(() => {
      if (this.journal.pending().length) void this.flush();
    }, retryMs);
    this.timer.unref();
  }

  /** Sends what is pending; a call during a flush makes it run once more at the end. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.sendPending();
      } while (this.again);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async sendPending(): Promise<void> {
    for (;;) {
      const batch = this.journal.pending().slice(0, MAX_RECEIPT_BATCH);
      if (!batch.length) return;
      let answer: z.infer<typeof AnswerSchema>;
      try {
        answer = AnswerSchema.parse(await this.channel.request('edge:receipts', { receipts: batch }));
      } catch (error) {
        this.log.debug({ error: String(error), pending: batch.length }, 'receipts not delivered; will retry');
        return;
      }
      if (!answer.ok || answer.results.length !== batch.length) {
        this.log.warn({ answer: answer.ok ? 'wrong length' : answer.code }, 'receipt batch refused; will retry');
        return;
      }
      const settled: string[] = [];
      answer.results.forEach((result, index) => {
        const signed = batch[index];
        if (!signed) return;
        settled.push(receiptId(signed));
        if (result.status === 'rejected') {
          this.log.warn(
            { sessionId: signed.receipt.sessionId, seq: signed.receipt.seq, code: result.code, reason: result.message },
            'broker rejected a receipt',
          );
        }
      });
      await this.journal.ack(settled);
    }
  }
}
