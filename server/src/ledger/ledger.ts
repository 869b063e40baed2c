import type { Logger } from 'pino';
import {
  ErrorCode,
  makeError,
  MIN_RECEIPT_MS,
  parseOrThrow,
  readTicketPayload,
  RECEIPT_PERIOD_MS,
  RECEIPT_SLOT_SLACK_MS,
  SignedReceiptSchema,
  type ReceiptAnswer,
  type ReceiptSide,
  type SignedReceipt,
  type UsageReceipt,
} from '@edgeplay/shared';
import { verifyReceiptSignature } from '@edgeplay/shared/node';
import { computeEpochClose, toEpochClose, type EpochClose } from './epoch-amounts.js';
import { judgeInterval } from './interval-judge.js';
import { EpochNumberSchema } from './ledger-schemas.js';
import type { EpochCloseRecord, IntervalRecord, IntervalVerdict, LedgerStore, SessionParties } from './ledger-store.js';
import type { RateCard } from './rate-card.js';

/** Keys stay on record this long after they expire: receipts journalled under them may still arrive. */
const KEY_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

export interface LedgerOptions {
  store: LedgerStore;
  rateCard: RateCard;
  /** Protocol fee, basis points of gross. */
  feeBps: number;
  logger: Logger;
  clock?: () => number;
}

/** What the broker learnt from an edge's verified join proof. */
export interface EdgeJoined {
  edgeId: string;
  operator: string;
  sessionKey: string;
  sessionKeyExpiresAt: number;
  gpuClass: string;
  titles: readonly { id: string; fps: number }[];
}

/** A placement, as placePlayer made it. */
export interface PlacedSession {
  sessionId: string;
  /** The ticket the player got (its iat anchors the session's slots). */
  ticket: string;
  edgeId: string;
  /** The edge's operator and GPU class; absent: as the ledger recorded them when the edge joined. */
  operator?: string | undefined;
  gpuClass?: string | undefined;
  titleId: string;
  playerKey: string;
}

/** Which socket a receipt came in on: a page may submit only player receipts, an edge only its own. */
export type ReceiptVia = { side: 'player' } | { side: 'edge'; edgeId: string };

/** The part of the ledger placement needs. */
export interface SessionRecorder {
  recordSession(placed: PlacedSession): Promise<unknown>;
}

/**
 * The broker's usage ledger: it learns the parties of each session at placement, takes
 * signed receipts from pages and edges, credits a slot once both sides agree, and turns an
 * epoch's credits into amounts per operator. All state is in the LedgerStore.
 */
export class Ledger implements SessionRecorder {
  private readonly store: LedgerStore;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly options: LedgerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    this.log = options.logger.child({ part: 'ledger' });
  }

  /** Remembers the session key the operator's wallet authorised, and what the edge declared. */
  async edgeJoined(join: EdgeJoined): Promise<void> {
    const now = this.clock();
    await this.store.grantEdgeKey(
      {
        edgeId: join.edgeId,
        operator: join.operator,
        gpuClass: join.gpuClass,
        titleFps: Object.fromEntries(join.titles.map((title) => [title.id, title.fps])),
        sessionKey: join.sessionKey,
        expiresAt: join.sessionKeyExpiresAt,
      },
      now - KEY_GRACE_MS,
    );
  }

  async recordSession(placed: PlacedSession): Promise<SessionParties> {
    const ticket = readTicketPayload(placed.ticket);
    if (ticket.sessionId !== placed.sessionId || ticket.playerKey !== placed.playerKey) {
      throw makeError(ErrorCode.INTERNAL, 'the ticket does not match the placement');
    }
    const edge = await this.store.edgeParty(placed.edgeId);
    const titleFps = edge?.titleFps[placed.titleId];
    if (!edge || titleFps === undefined) {
      throw makeError(
        ErrorCode.INTERNAL,
        `the ledger has no record of edge ${placed.edgeId} offering ${placed.titleId}`,
      );
    }
    const operator = placed.operator ?? edge.operator;
    const keys = edge.keys.filter((key) => key.operator === operator).sort((a, b) => b.expiresAt - a.expiresAt);
    return this.store.recordSession({
      sessionId: placed.sessionId,
      edgeId: placed.edgeId,
      operator,
      playerKey: placed.playerKey,
      edgeSessionKey: keys[0]?.sessionKey ?? null,
      gpuClass: placed.gpuClass ?? edge.gpuClass,
      titleId: placed.titleId,
      titleFps,
      anchorAt: ticket.iat,
    });
  }

  /**
   * Takes one signed receipt. Answers accepted / duplicate (and whether its slot is now
   * verified); throws a coded error for a receipt that is malformed (INVALID_MESSAGE), of
   * an unknown session (SESSION_NOT_FOUND), forged or not the session's (RECEIPT_INVALID),
   * outside its slot (RECEIPT_INTERVAL), out of order, conflicting with one already in, or
   * disagreeing with the other side's (RECEIPT_MISMATCH; the mismatch is recorded).
   */
  async submit(input: unknown, via: ReceiptVia): Promise<ReceiptAnswer> {
    const signed = parseOrThrow(SignedReceiptSchema, input, 'receipt');
    const { receipt } = signed;
    if (receipt.side !== via.side) {
      throw makeError(ErrorCode.RECEIPT_INVALID, `only ${via.side} receipts are taken on this connection`);
    }
    if (via.side === 'edge' && receipt.edgeId !== via.edgeId) {
      throw makeError(ErrorCode.RECEIPT_INVALID, `this connection is edge ${via.edgeId}, the receipt names another`);
    }
    const parties = await this.store.session(receipt.sessionId);
    if (!parties) throw makeError(ErrorCode.SESSION_NOT_FOUND, `no session ${receipt.sessionId} was placed`);
    if (receipt.edgeId !== parties.edgeId) {
      throw makeError(ErrorCode.RECEIPT_INVALID, 'the receipt names another edge than the session’s');
    }
    await this.assertSigner(signed, parties);
    if (!verifyReceiptSignature(signed)) {
      throw makeError(ErrorCode.RECEIPT_INVALID, 'the receipt’s signature does not verify');
    }
    this.assertInterval(receipt, parties);

    const outcome = await this.store.acceptReceipt(signed);
    if (outcome.status === 'conflict') {
      throw makeError(
        ErrorCode.RECEIPT_CONFLICT,
        `another ${receipt.side} receipt for slot ${receipt.seq} of this session is already in`,
      );
    }
    if (outcome.status === 'out-of-order') {
      throw makeError(
        ErrorCode.RECEIPT_OUT_OF_ORDER,
        `the ${receipt.side} already reported slot ${outcome.lastSeq}, up to ${outcome.lastTo}`,
      );
    }
    let verdict = outcome.verdict;
    // Also on a duplicate: a broker that stopped between storing and judging is healed by the resend.
    if (!verdict && outcome.other) verdict = await this.decide(parties, signed, outcome.other);
    if (verdict?.status === 'mismatch') {
      throw makeError(ErrorCode.RECEIPT_MISMATCH, `slot ${receipt.seq} earns nothing: ${verdict.reason ?? 'mismatch'}`);
    }
    return {
      status: outcome.status,
      interval: verdict ? 'verified' : 'pending',
      ...(verdict ? { creditedMs: verdict.creditedMs, qualityBps: verdict.qualityBps } : {}),
    };
  }

  intervals(sessionId: string): Promise<IntervalRecord[]> {
    return this.store.intervals(sessionId);
  }

  session(sessionId: string): Promise<SessionParties | undefined> {
    return this.store.session(sessionId);
  }

  currentEpoch(): Promise<number> {
    return this.store.currentEpoch();
  }

  /** Whether any slot has been credited to `epoch`. */
  epochHasCredits(epoch: number): Promise<boolean> {
    return this.store.epochHasCredits(epoch);
  }

  /**
   * Closes `epoch` (default: the open one): its verified credits are frozen (later verdicts
   * go to the next epoch), priced with the rate card and fee in force now, and added to each
   * operator's cumulative amount. Idempotent: closing a closed epoch returns the stored result.
   */
  async closeEpoch(epoch?: number): Promise<EpochClose> {
    return toEpochClose(await this.closeRecord(epoch ?? (await this.store.currentEpoch())));
  }

  /**
   * Minutes of play verified for `operator` in each of `epochs`, from the closed epochs'
   * records (0 for a closed epoch without the operator; null for one not closed yet).
   */
  async verifiedMinutes(operator: string, epochs: readonly number[]): Promise<(number | null)[]> {
    const wanted = operator.toLowerCase();
    return Promise.all(
      epochs.map(async (epoch) => {
        const record = await this.store.epochClose(epoch);
        if (!record) return null;
        const figures = record.operators.find((entry) => entry.operator.toLowerCase() === wanted);
        return figures ? figures.verifiedMs / 60_000 : 0;
      }),
    );
  }

  private async closeRecord(epoch: number): Promise<EpochCloseRecord> {
    parseOrThrow(EpochNumberSchema, epoch, 'epoch');
    const stored = await this.store.epochClose(epoch);
    if (stored) return stored;
    const credits = await this.store.freezeEpoch(epoch);
    if (!credits) {
      const open = await this.store.currentEpoch();
      throw makeError(ErrorCode.INVALID_MESSAGE, `epoch ${epoch} has not begun; epoch ${open} is open`);
    }
    // A close that a crash left half-done is finished first: cumulative amounts build on it.
    const previous = epoch > 1 ? await this.closeRecord(epoch - 1) : undefined;
    const record = computeEpochClose({
      epoch,
      closedAt: this.clock(),
      credits,
      rateCard: this.options.rateCard,
      feeBps: this.options.feeBps,
      previous,
    });
    const saved = await this.store.saveEpochClose(record);
    this.log.info(
      { epoch, operators: saved.operators.length, totalNet: saved.totalNet, totalFee: saved.totalFee },
      'epoch closed',
    );
    return saved;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async assertSigner(signed: SignedReceipt, parties: SessionParties): Promise<void> {
    if (signed.receipt.side === 'player') {
      if (signed.signer !== parties.playerKey) {
        throw makeError(ErrorCode.RECEIPT_INVALID, 'the receipt is not signed by the session’s player key');
      }
      return;
    }
    const edge = await this.store.edgeParty(parties.edgeId);
    const key = edge?.keys.find((entry) => entry.sessionKey === signed.signer && entry.operator === parties.operator);
    if (!key) {
      throw makeError(ErrorCode.RECEIPT_INVALID, 'the receipt is not signed by a key the edge’s operator authorised');
    }
    if (key.expiresAt < signed.receipt.to) {
      throw makeError(ErrorCode.RECEIPT_INVALID, 'the receipt was signed with a session key that had expired');
    }
  }

  private assertInterval(receipt: UsageReceipt, parties: SessionParties): void {
    const slotStart = parties.anchorAt + receipt.seq * RECEIPT_PERIOD_MS;
    const slotEnd = slotStart + RECEIPT_PERIOD_MS;
    if (receipt.to - receipt.from < MIN_RECEIPT_MS) {
      throw makeError(ErrorCode.RECEIPT_INTERVAL, `an interval is at least ${MIN_RECEIPT_MS} ms long`);
    }
    if (receipt.from < slotStart - RECEIPT_SLOT_SLACK_MS || receipt.to > slotEnd + RECEIPT_SLOT_SLACK_MS) {
      throw makeError(
        ErrorCode.RECEIPT_INTERVAL,
        `the interval lies outside slot ${receipt.seq} [${slotStart}, ${slotEnd})`,
      );
    }
    if (receipt.to > this.clock() + RECEIPT_SLOT_SLACK_MS) {
      throw makeError(ErrorCode.RECEIPT_INTERVAL, 'the interval ends in the future');
    }
  }

  private async decide(parties: SessionParties, mine: SignedReceipt, other: SignedReceipt): Promise<IntervalVerdict> {
    const [player, edge] = mine.receipt.side === 'player' ? [mine, other] : [other, mine];
    const judgement = judgeInterval(player.receipt, edge.receipt, parties.titleFps);
    const { sessionId, seq } = mine.receipt;
    const verdict = await this.store.recordVerdict(sessionId, seq, {
      status: judgement.status,
      creditedMs: judgement.creditedMs,
      qualityBps: judgement.qualityBps,
      ...(judgement.status === 'mismatch' ? { reason: judgement.reason } : {}),
      operator: parties.operator,
      gpuClass: parties.gpuClass,
      decidedAt: this.clock(),
    });
    const context = { sessionId, seq, edgeId: parties.edgeId, operator: parties.operator, epoch: verdict.epoch };
    if (verdict.status === 'verified') {
      this.log.info(
        { ...context, creditedMs: verdict.creditedMs, qualityBps: verdict.qualityBps, sides: sidesOf(player, edge) },
        'interval verified',
      );
    } else this.log.warn({ ...context, reason: verdict.reason }, 'interval mismatch');
    return verdict;
  }
}

/** What each side reported, for the log line of a verified slot. */
function sidesOf(player: SignedReceipt, edge: SignedReceipt): Record<ReceiptSide, Record<string, number | null>> {
  const brief = ({ receipt }: SignedReceipt) => ({
    from: receipt.from,
    to: receipt.to,
    frames: receipt.frames,
    bitrateKbps: receipt.bitrateKbps,
    rttMs: receipt.rttMs,
  });
  return { player: brief(player), edge: brief(edge) };
}
