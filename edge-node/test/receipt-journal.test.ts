import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignedReceipt } from '@edgeplay/shared';
import { createSessionKey, signReceipt } from '@edgeplay/shared/node';
import { receiptId, ReceiptJournal } from '../src/receipts/receipt-journal.js';

const logger = pino({ level: 'silent' });
const key = createSessionKey(60 * 60_000);
const SESSION = '3f1d7b7e-6a51-4c38-9d1e-1a2b3c4d5e6f';
const receipt = (seq: number): SignedReceipt =>
  signReceipt(key, {
    v: 1,
    side: 'edge',
    sessionId: SESSION,
    edgeId: 'edge-1',
    seq,
    from: 1_000_000 + seq * 10_000,
    to: 1_010_000 + seq * 10_000,
    frames: 600,
    bitrateKbps: 4_000,
    rttMs: 10,
  });

describe('the edge’s receipt journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('still has a receipt after a crash between writing it and the broker’s acknowledgement', async () => {
    const journal = await ReceiptJournal.open(dir, 'edge-1', logger);
    await journal.append(receipt(0));
    await journal.append(receipt(1));
    await journal.ack([receiptId(receipt(0))]);
    // "Crash": the process goes away without closing anything; a new run opens the file.
    const reopened = await ReceiptJournal.open(dir, 'edge-1', logger);
    expect(reopened.pending()).toEqual([receipt(1)]);
    await journal.close();
    await reopened.close();
  });

  it('takes a duplicate acknowledgement, or one for a receipt it never had, as a no-op', async () => {
    const journal = await ReceiptJournal.open(dir, 'edge-1', logger);
    await journal.append(receipt(0));
    await journal.append(receipt(1));
    await journal.append(receipt(1)); // appended twice: kept once
    await journal.ack([receiptId(receipt(0)), receiptId(receipt(0))]);
    await journal.ack([receiptId(receipt(0)), 'someone-else:7']);
    expect(journal.pending()).toEqual([receipt(1)]);
    await journal.close();
    const reopened = await ReceiptJournal.open(dir, 'edge-1', logger);
    expect(reopened.pending()).toEqual([receipt(1)]);
    await reopened.close();
  });

  it('skips a line cut short by a crash and keeps everything before it', async () => {
    const journal = await ReceiptJournal.open(dir, 'edge-1', logger);
    await journal.append(receipt(0));
    await journal.close();
    const full = JSON.stringify({ receipt: receipt(1) });
    await appendFile(journal.path, full.slice(0, full.length / 2));
    const reopened = await ReceiptJournal.open(dir, 'edge-1', logger);
    expect(reopened.pending()).toEqual([receipt(0)]);
    // Appending after the torn line starts a fresh, readable line.
    await reopened.append(receipt(2));
    await reopened.close();
    expect((await ReceiptJournal.open(dir, 'edge-1', logger)).pending()).toEqual([receipt(0), receipt(2)]);
  });

  it('shrinks to nothing once the broker has everything, and keeps order across compaction', async () => {
    const journal = await ReceiptJournal.open(dir, 'edge-1', logger);
    for (let seq = 0; seq < 5; seq++) await journal.append(receipt(seq));
    await journal.ack([0, 1, 2, 3, 4].map((seq) => receiptId(receipt(seq))));
    expect(await readFile(journal.path, 'utf8')).toBe('');
    await journal.append(receipt(5));
    await journal.append(receipt(6));
    await journal.close();
    expect((await ReceiptJournal.open(dir, 'edge-1', logger)).pending()).toEqual([receipt(5), receipt(6)]);
  });
});
