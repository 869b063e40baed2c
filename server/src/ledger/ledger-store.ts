import type { SignedReceipt } from '@edgeplay/shared';

/*
 * The ledger's state: which keys each edge's operator authorised, who the parties of each
 * session are, every receipt side, each slot's verdict, the credits of each epoch and the
 * closed epochs. One interface, an in-memory implementation (one broker, lost on restart)
 * and a Redis one (several brokers; survives restarts with AOF). Both pass one contract
 * suite (server/test/ledger/ledger-contract.ts).
 *
 * Every method is atomic with respect to every other call on any store sharing the same
 * state. Judging a slot happens outside (Ledger): `acceptReceipt` tells the caller whether
 * the other side is in, and `recordVerdict` keeps the first verdict only, so two brokers
 * that race on one slot credit it once.
 */

/** One Ed25519 session key an operator's wallet authorised for an edge (edge:register). */
export interface EdgeKey {
  sessionKey: string;
  operator: string;
  expiresAt: number;
}

/** What the edge declared at its latest join, and every key it joined with that is still of use. */
export interface EdgeParty {
  edgeId: string;
  operator: string;
  gpuClass: string;
  /** Title id → the fps its manifest states (the quality factor's yardstick). */
  titleFps: Record<string, number>;
  keys: EdgeKey[];
}

export interface EdgeKeyGrant extends Omit<EdgeParty, 'keys'> {
  sessionKey: string;
  expiresAt: number;
}

/** Who takes part in a session, recorded when the broker placed the player. */
export interface SessionParties {
  sessionId: string;
  edgeId: string;
  /** EIP-55 address of the edge's operator: who is paid. */
  operator: string;
  /** The page's Ed25519 key the ticket was bound to: the only key that signs player receipts. */
  playerKey: string;
  /** The edge's session key at placement (a key the same operator authorised later also counts). */
  edgeSessionKey: string | null;
  gpuClass: string;
  titleId: string;
  titleFps: number;
  /** The ticket's iat: slot k is [anchorAt + k·period, anchorAt + (k+1)·period). */
  anchorAt: number;
}

export interface VerdictRecord {
  status: 'verified' | 'mismatch';
  /** Player-confirmed overlap of the two intervals; 0 for a mismatch. */
  creditedMs: number;
  /** Quality factor, basis points; 0 for a mismatch. */
  qualityBps: number;
  reason?: string | undefined;
  operator: string;
  gpuClass: string;
  decidedAt: number;
}

/** A verdict as stored: with the epoch whose credits it went to. */
export interface IntervalVerdict extends VerdictRecord {
  epoch: number;
}

export type AcceptOutcome =
  | {
      status: 'accepted' | 'duplicate';
      /** The other side's receipt for the same slot, when it is in. */
      other: SignedReceipt | undefined;
      verdict: IntervalVerdict | undefined;
    }
  /** A different receipt already holds this (session, seq, side). */
  | { status: 'conflict' }
  /** The side already reported this slot or a later one, or an interval ending after this one began. */
  | { status: 'out-of-order'; lastSeq: number; lastTo: number };

export interface IntervalRecord {
  seq: number;
  player?: SignedReceipt;
  edge?: SignedReceipt;
  verdict?: IntervalVerdict;
}

/** The verified work of one operator on one GPU class within an epoch. */
export interface EpochCredit {
  operator: string;
  gpuClass: string;
  verifiedMs: number;
  /** Σ creditedMs × qualityBps: what the rate card multiplies. */
  weightedMs: bigint;
  intervals: number;
  mismatches: number;
}

/** A closed epoch as stored (JSON-safe: amounts are decimal strings). */
export interface EpochCloseRecord {
  epoch: number;
  closedAt: number;
  feeBps: number;
  rateCard: Record<string, string>;
  /** Operators credited in this epoch. */
  operators: {
    operator: string;
    verifiedMs: number;
    intervals: number;
    mismatches: number;
    gross: string;
    fee: string;
    net: string;
  }[];
  /** Every operator ever credited → net amount through this epoch. */
  cumulative: Record<string, string>;
  totalGross: string;
  totalFee: string;
  totalNet: string;
}

export interface LedgerStore {
  /** Remembers the key and the edge's declaration; drops keys expired before `pruneBefore`. */
  grantEdgeKey(grant: EdgeKeyGrant, pruneBefore: number): Promise<void>;
  edgeParty(edgeId: string): Promise<EdgeParty | undefined>;

  /** Records the parties once; a second call for the session keeps (and returns) the first record. */
  recordSession(parties: SessionParties): Promise<SessionParties>;
  session(sessionId: string): Promise<SessionParties | undefined>;

  /**
   * Stores one side's receipt unless it conflicts or is out of order (sequence and time
   * strictly after the side's last accepted receipt). An identical receipt is a duplicate.
   */
  acceptReceipt(signed: SignedReceipt): Promise<AcceptOutcome>;
  /**
   * Keeps the slot's first verdict and adds it to the credits of the epoch open now;
   * returns the stored verdict (the earlier one when there was one already).
   */
  recordVerdict(sessionId: string, seq: number, verdict: VerdictRecord): Promise<IntervalVerdict>;
  intervals(sessionId: string): Promise<IntervalRecord[]>;

  /** The open epoch, 1 at first. */
  currentEpoch(): Promise<number>;
  /**
   * Freezes `epoch` if it is the open one (verdicts go to the next from then on) and
   * returns its credits; an earlier epoch's credits as they were frozen; undefined for a
   * later one.
   */
  freezeEpoch(epoch: number): Promise<EpochCredit[] | undefined>;
  /** Whether any slot has been credited to `epoch` (open or frozen). */
  epochHasCredits(epoch: number): Promise<boolean>;
  epochClose(epoch: number): Promise<EpochCloseRecord | undefined>;
  /** Stores the close unless one is stored already; returns the stored one. */
  saveEpochClose(record: EpochCloseRecord): Promise<EpochCloseRecord>;

  close(): Promise<void>;
}
