import { describe, expect, it } from 'vitest';
import {
  clockOffsetMs,
  readTicketPayload,
  receiptSigningMessage,
  ReceiptMeter,
  SignedReceiptSchema,
  UsageReceiptSchema,
  type UsageReceipt,
} from '../src/index.js';
import {
  createSessionKey,
  generateTicketKeyPair,
  newTicketNonce,
  signReceipt,
  signTicket,
  verifyReceiptSignature,
} from '../src/node/index.js';

const SESSION = '3f1d7b7e-6a51-4c38-9d1e-1a2b3c4d5e6f';
const receipt: UsageReceipt = {
  v: 1,
  side: 'player',
  sessionId: SESSION,
  edgeId: 'edge-1',
  seq: 4,
  from: 1_750_000_040_000,
  to: 1_750_000_050_000,
  frames: 598,
  bitrateKbps: 4_812,
  rttMs: 23,
};

describe('usage receipts', () => {
  it('are signed over one fixed text: a domain, the side, then every field in order', () => {
    expect(receiptSigningMessage(receipt)).toBe(
      `edgeplay-receipt:v1:player:${SESSION}:edge-1:4:1750000040000:1750000050000:598:4812:23`,
    );
    expect(receiptSigningMessage({ ...receipt, side: 'edge', rttMs: null })).toBe(
      `edgeplay-receipt:v1:edge:${SESSION}:edge-1:4:1750000040000:1750000050000:598:4812:-`,
    );
  });

  it('verify only unchanged and under the key that signed them', () => {
    const key = createSessionKey(60_000);
    const signed = signReceipt(key, receipt);
    expect(SignedReceiptSchema.parse(signed)).toEqual(signed);
    expect(verifyReceiptSignature(signed)).toBe(true);
    for (const changed of [
      { ...receipt, frames: 599 },
      { ...receipt, side: 'edge' as const },
      { ...receipt, seq: 5 },
      { ...receipt, rttMs: null },
    ]) {
      expect(verifyReceiptSignature({ ...signed, receipt: changed })).toBe(false);
    }
    expect(verifyReceiptSignature({ ...signed, signer: createSessionKey(60_000).publicKeyRaw })).toBe(false);
  });

  it('refuse malformed fields before anything looks at them', () => {
    const bad = [
      { ...receipt, v: 2 },
      { ...receipt, to: receipt.from },
      { ...receipt, frames: -1 },
      { ...receipt, frames: 1.5 },
      { ...receipt, edgeId: 'edge:1' },
      { ...receipt, side: 'broker' },
      { ...receipt, extra: true },
    ];
    for (const value of bad) expect(UsageReceiptSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
  });

  it('read the slot anchor from the ticket the page was given', () => {
    const keys = generateTicketKeyPair();
    const payload = {
      v: 1 as const,
      sessionId: SESSION,
      edgeId: 'edge-1',
      titleId: 'chess',
      playerKey: `0x${'ab'.repeat(32)}`,
      iat: 1_750_000_000_123,
      exp: 1_750_000_030_123,
      nonce: newTicketNonce(),
    };
    expect(readTicketPayload(signTicket(payload, keys.privateKey))).toEqual(payload);
    expect(() => readTicketPayload('e30.AAAA')).toThrow();
  });

  it('estimate the broker clock from one round trip', () => {
    expect(clockOffsetMs(1_000, 1_040, 5_020)).toBe(4_000);
    expect(clockOffsetMs(1_000, 1_000, 900)).toBe(-100);
  });
});

describe('ReceiptMeter', () => {
  const anchorAt = 1_000_000;
  const meter = (): ReceiptMeter =>
    new ReceiptMeter({ side: 'edge', sessionId: SESSION, edgeId: 'edge-1', anchorAt, periodMs: 10_000 });
  const at = (offset: number, frames: number, bytes = frames * 1_000, rttMs: number | null = 12.4) => ({
    at: anchorAt + offset,
    frames,
    bytes,
    rttMs,
  });

  it('reports one receipt per slot boundary, from where the stream began, with the frames and bitrate in it', () => {
    const m = meter();
    expect(m.nextDueAt()).toBeUndefined();
    m.begin(at(2_500, 0, 0));
    expect(m.nextDueAt()).toBe(anchorAt + 10_000);
    expect(m.take(at(10_003, 450))).toMatchObject({
      seq: 0,
      from: anchorAt + 2_500,
      to: anchorAt + 10_003,
      frames: 450,
      bitrateKbps: 480, // 450,000 bytes × 8 / 7,503 ms
      rttMs: 12,
    });
    expect(m.nextDueAt()).toBe(anchorAt + 20_000);
    expect(m.take(at(20_001, 1_050))).toMatchObject({ seq: 1, from: anchorAt + 10_003, frames: 600 });
    // The end of the session: a last, partial slot.
    expect(m.take(at(23_000, 1_230, undefined, null), true)).toMatchObject({ seq: 2, frames: 180, rttMs: null });
  });

  it('skips a first partial slot too short for both sides to agree on, and a stalled interval', () => {
    const m = meter();
    m.begin(at(6_000, 0));
    expect(m.take(at(10_000, 240))).toBeUndefined(); // 4 s: not reported
    expect(m.take(at(20_000, 840))).toMatchObject({ seq: 1, frames: 600 });
    expect(m.take(at(45_000, 2_340))).toBeUndefined(); // the timer stalled for 25 s
    expect(m.take(at(50_000, 2_640))).toMatchObject({ seq: 4, from: anchorAt + 45_000, frames: 300 });
    expect(m.take(at(50_500, 2_670), true)).toBeUndefined(); // under a second
  });

  it('reports a slot once, and counts a restarted stream from zero', () => {
    const m = meter();
    m.begin(at(0, 0));
    expect(m.take(at(10_000, 600))?.seq).toBe(0);
    expect(m.take(at(11_500, 690))?.seq).toBe(1);
    expect(m.take(at(20_000, 1_200))).toBeUndefined(); // slot 1 again
    expect(m.take(at(30_000, 30))).toMatchObject({ seq: 2, frames: 0 });
  });
});
