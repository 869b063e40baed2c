import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { RECEIPT_PERIOD_MS, type ReceiptSide, type SignedReceipt, type UsageReceipt } from '@edgeplay/shared';
import {
  createSessionKey,
  generateTicketKeyPair,
  newTicketNonce,
  signReceipt,
  signTicket,
  type SessionKey,
} from '@edgeplay/shared/node';
import { Ledger } from '../../src/ledger/ledger.js';
import type { LedgerStore } from '../../src/ledger/ledger-store.js';
import { DEFAULT_RATE_CARD, type RateCard } from '../../src/ledger/rate-card.js';

/** Two operators' wallets (EIP-55), as the join proof's verification returns them. */
export const OPERATOR_A = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';
export const OPERATOR_B = '0x71C7656EC7ab88b098defB751B7401B5f6d8976F';
export const T0 = 1_750_000_000_000;
const brokerKeys = generateTicketKeyPair();

/** A clock the test moves by hand. */
export function manualClock(start = T0): { now: () => number; set(at: number): void } {
  let at = start;
  return { now: () => at, set: (next) => (at = next) };
}

export function makeLedger(
  store: LedgerStore,
  clock: () => number,
  options: { rateCard?: RateCard; feeBps?: number } = {},
): Ledger {
  return new Ledger({
    store,
    clock,
    rateCard: options.rateCard ?? DEFAULT_RATE_CARD,
    feeBps: options.feeBps ?? 500,
    logger: pino({ level: 'silent' }),
  });
}

export interface TestEdge {
  edgeId: string;
  operator: string;
  key: SessionKey;
  gpuClass: string;
}

/** An edge that joined: its operator authorised `key` (expires in a day). */
export async function joinEdge(
  ledger: Ledger,
  overrides: Partial<TestEdge> = {},
  titles = [{ id: 'chess', fps: 60 }],
): Promise<TestEdge> {
  const edge: TestEdge = {
    edgeId: `edge-${randomUUID().slice(0, 8)}`,
    operator: OPERATOR_A,
    key: createSessionKey(24 * 60 * 60 * 1000, T0),
    gpuClass: 'rtx-4090',
    ...overrides,
  };
  await ledger.edgeJoined({
    edgeId: edge.edgeId,
    operator: edge.operator,
    sessionKey: edge.key.publicKeyRaw,
    sessionKeyExpiresAt: edge.key.expiresAt,
    gpuClass: edge.gpuClass,
    titles,
  });
  return edge;
}

export interface TestSession {
  sessionId: string;
  edge: TestEdge;
  player: SessionKey;
  anchorAt: number;
  /** A receipt for slot `seq` (the whole slot, 60 fps, 20 ms), with changes. */
  receipt(side: ReceiptSide, seq: number, changes?: Partial<UsageReceipt>): UsageReceipt;
  /** The same, signed by the side's key (or `key`). */
  signed(side: ReceiptSide, seq: number, changes?: Partial<UsageReceipt>, key?: SessionKey): SignedReceipt;
}

/** A player placed on `edge` at `anchorAt` (the ticket's iat). */
export async function placeSession(
  ledger: Ledger,
  edge: TestEdge,
  anchorAt = T0,
  titleId = 'chess',
): Promise<TestSession> {
  const player = createSessionKey(60 * 60 * 1000, anchorAt);
  const sessionId = randomUUID();
  const ticket = signTicket(
    {
      v: 1,
      sessionId,
      edgeId: edge.edgeId,
      titleId,
      playerKey: player.publicKeyRaw,
      iat: anchorAt,
      exp: anchorAt + 30_000,
      nonce: newTicketNonce(),
    },
    brokerKeys.privateKey,
  );
  await ledger.recordSession({
    sessionId,
    ticket,
    edgeId: edge.edgeId,
    operator: edge.operator,
    gpuClass: edge.gpuClass,
    titleId,
    playerKey: player.publicKeyRaw,
  });
  const receipt = (side: ReceiptSide, seq: number, changes: Partial<UsageReceipt> = {}): UsageReceipt => ({
    v: 1,
    side,
    sessionId,
    edgeId: edge.edgeId,
    seq,
    from: anchorAt + seq * RECEIPT_PERIOD_MS,
    to: anchorAt + (seq + 1) * RECEIPT_PERIOD_MS,
    frames: 600,
    bitrateKbps: 4800,
    rttMs: 20,
    ...changes,
  });
  return {
    sessionId,
    edge,
    player,
    anchorAt,
    receipt,
    signed: (side, seq, changes, key) =>
      signReceipt(key ?? (side === 'player' ? player : edge.key), receipt(side, seq, changes)),
  };
}

/** The coded error a promise rejects with (or undefined when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
