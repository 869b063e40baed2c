import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SignedReceiptSchema, type SignedReceipt } from '@edgeplay/shared';

/** Acknowledgement lines the file may collect before it is rewritten with only what is pending. */
const COMPACT_AFTER_ACKS = 200;

const LineSchema = z.union([
  z.strictObject({ receipt: SignedReceiptSchema }),
  z.strictObject({ ack: z.string().max(200) }),
]);

/** How a journalled receipt is named in acknowledgement lines. */
export function receiptId({ receipt }: SignedReceipt): string {
  return `${receipt.sessionId}:${receipt.seq}`;
}

/**
 * The edge's receipts between signing and the broker's acknowledgement, on disk, so a
 * crash or a broker that is away loses none. An append-only JSONL file per edge id:
 * `{"receipt": …}` when one is signed, `{"ack": "<session>:<seq>"}` when the broker has it;
 * each line is flushed to disk (fdatasync) before the call resolves. On open the file is
 * replayed: receipts without an ack are pending again; a torn last line (a crash mid-write)
 * is skipped. Once everything is acknowledged — or many acks have piled up — the file is
 * rewritten (temp file, fsync, rename) with only the pending receipts.
 */
export class ReceiptJournal {
  private readonly pendingById = new Map<string, SignedReceipt>();
  private acksSinceCompaction = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private handle: FileHandle,
    private readonly log: Logger,
  ) {}

  static async open(dir: string, edgeId: string, logger: Logger): Promise<ReceiptJournal> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${edgeId}.receipts.jsonl`);
    const log = logger.child({ journal: path });
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const journal = new ReceiptJournal(path, await open(path, 'a', 0o600), log);
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed: z.infer<typeof LineSchema> | undefined;
      try {
        parsed = LineSchema.parse(JSON.parse(line));
      } catch {
        skipped += 1;
        continue;
      }
      if ('receipt' in parsed) journal.pendingById.set(receiptId(parsed.receipt), parsed.receipt);
      else if (journal.pendingById.delete(parsed.ack)) journal.acksSinceCompaction += 1;
    }
    if (skipped || (text && !text.endsWith('\n'))) {
      log.warn({ skipped }, 'receipt journal: unreadable lines skipped (a write cut short by a crash)');
      // Rewritten clean, so the next line does not continue the torn one.
      await journal.compact();
    }
    if (journal.pendingById.size)
      log.info({ pending: journal.pendingById.size }, 'receipt journal: receipts to resend');
    return journal;
  }

  /** Receipts not yet acknowledged, oldest first. */
  pending(): SignedReceipt[] {
    return [...this.pendingById.values()];
  }

  /** Resolves once the receipt is on disk. */
  append(signed: SignedReceipt): Promise<void> {
    return this.serially(async () => {
      const id = receiptId(signed);
      if (this.pendingById.has(id)) return;
      await this.write(`${JSON.stringify({ receipt: signed })}\n`);
      this.pendingById.set(id, signed);
    });
  }

  /** Forgets receipts the broker has (or refused for good); ids not pending are ignored. */
  ack(ids: readonly string[]): Promise<void> {
    return this.serially(async () => {
      const known = [...new Set(ids)].filter((id) => this.pendingById.has(id));
      if (!known.length) return;
      await this.write(known.map((id) => `${JSON.stringify({ ack: id })}\n`).join(''));
      for (const id of known) this.pendingById.delete(id);
      this.acksSinceCompaction += known.length;
      if (this.pendingById.size === 0 || this.acksSinceCompaction >= COMPACT_AFTER_ACKS) await this.compact();
    });
  }

  close(): Promise<void> {
    return this.serially(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.handle.close();
    });
  }

  private async write(text: string): Promise<void> {
    if (this.closed) throw new Error('the receipt journal is closed');
    await this.handle.write(text);
    await this.handle.datasync();
  }

  private async compact(): Promise<void> {
    const temp = `${this.path}.tmp`;
    const out = await open(temp, 'w', 0o600);
    try {
      await out.write(
        this.pending()
          .map((receipt) => `${JSON.stringify({ receipt })}\n`)
          .join(''),
      );
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, this.path);
    await this.handle.close();
    this.handle = await open(this.path, 'a', 0o600);
    this.acksSinceCompaction = 0;
  }

  /** One write at a time, in call order. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch((error: unknown) =>
      this.log.error({ error: String(error) }, 'receipt journal write failed'),
    );
    return next;
  }
}
