import { FULL_QUALITY_BPS } from './quality-factor.js';
import type { EpochCloseRecord, EpochCredit } from './ledger-store.js';
import { describeRateCard, ratePerMinute, type RateCard } from './rate-card.js';

/*
 * Closing an epoch, in bigint base units. Per operator:
 *
 *   gross = floor( Σ over GPU classes of rate(class) × Σ(creditedMs × qualityBps) / (60,000 × 10,000) )
 *   net   = floor( gross × (10,000 − feeBps) / 10,000 )
 *   fee   = gross − net
 *
 * One floor per operator and epoch: what is lost to rounding is under one base unit of
 * gross per operator per epoch, and the fee takes the remainder, so net + fee = gross
 * exactly. Cumulative amounts (what the Merkle tree commits to) are each operator's nets
 * summed over every closed epoch.
 */

const MS_PER_MINUTE = 60_000n;
const BPS = BigInt(FULL_QUALITY_BPS);

export interface OperatorEpochFigures {
  verifiedMs: number;
  intervals: number;
  mismatches: number;
  gross: bigint;
  fee: bigint;
  net: bigint;
}

/** A closed epoch, as closeEpoch returns it. */
export interface EpochClose {
  epoch: number;
  closedAt: number;
  feeBps: number;
  /** The card the epoch was paid with (the one in force when it closed). */
  rateCard: Record<string, bigint>;
  /** Operator address → cumulative net amount through this epoch, every operator ever paid. */
  amounts: Map<string, bigint>;
  /** Operator address → net amount earned in this epoch. */
  perOperatorEpochAmount: Map<string, bigint>;
  /** Operator address → this epoch's figures (verified time, intervals, mismatches, gross, fee, net). */
  operators: Map<string, OperatorEpochFigures>;
  totalGross: bigint;
  totalFee: bigint;
  totalNet: bigint;
}

export interface EpochInput {
  epoch: number;
  closedAt: number;
  credits: readonly EpochCredit[];
  rateCard: RateCard;
  feeBps: number;
  /** The previous epoch's close (its cumulative amounts carry over); none for epoch 1. */
  previous: EpochCloseRecord | undefined;
}

export function computeEpochClose({
  epoch,
  closedAt,
  credits,
  rateCard,
  feeBps,
  previous,
}: EpochInput): EpochCloseRecord {
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000)
    throw new RangeError(`fee ${feeBps} bps is not 0..10000`);
  const byOperator = new Map<
    string,
    { numerator: bigint; verifiedMs: number; intervals: number; mismatches: number }
  >();
  for (const credit of credits) {
    const entry = byOperator.get(credit.operator) ?? { numerator: 0n, verifiedMs: 0, intervals: 0, mismatches: 0 };
    entry.numerator += ratePerMinute(rateCard, credit.gpuClass) * credit.weightedMs;
    entry.verifiedMs += credit.verifiedMs;
    entry.intervals += credit.intervals;
    entry.mismatches += credit.mismatches;
    byOperator.set(credit.operator, entry);
  }
  const cumulative = new Map(Object.entries(previous?.cumulative ?? {}).map(([op, amount]) => [op, BigInt(amount)]));
  let totalGross = 0n;
  let totalFee = 0n;
  let totalNet = 0n;
  const operators = [...byOperator.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([operator, entry]) => {
      const gross = entry.numerator / (MS_PER_MINUTE * BPS);
      const net = (gross * (BPS - BigInt(feeBps))) / BPS;
      const fee = gross - net;
      totalGross += gross;
      totalFee += fee;
      totalNet += net;
      if (net > 0n) cumulative.set(operator, (cumulative.get(operator) ?? 0n) + net);
      const { verifiedMs, intervals, mismatches } = entry;
      return { operator, verifiedMs, intervals, mismatches, gross: `${gross}`, fee: `${fee}`, net: `${net}` };
    });
  return {
    epoch,
    closedAt,
    feeBps,
    rateCard: describeRateCard(rateCard),
    operators,
    cumulative: Object.fromEntries(
      [...cumulative.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([op, v]) => [op, `${v}`]),
    ),
    totalGross: `${totalGross}`,
    totalFee: `${totalFee}`,
    totalNet: `${totalNet}`,
  };
}

/** The stored record as bigint amounts and maps keyed by operator address. */
export function toEpochClose(record: EpochCloseRecord): EpochClose {
  return {
    epoch: record.epoch,
    closedAt: record.closedAt,
    feeBps: record.feeBps,
    rateCard: Object.fromEntries(Object.entries(record.rateCard).map(([gpuClass, rate]) => [gpuClass, BigInt(rate)])),
    amounts: new Map(Object.entries(record.cumulative).map(([operator, amount]) => [operator, BigInt(amount)])),
    perOperatorEpochAmount: new Map(record.operators.map((entry) => [entry.operator, BigInt(entry.net)])),
    operators: new Map(
      record.operators.map(({ operator, verifiedMs, intervals, mismatches, gross, fee, net }) => [
        operator,
        { verifiedMs, intervals, mismatches, gross: BigInt(gross), fee: BigInt(fee), net: BigInt(net) },
      ]),
    ),
    totalGross: BigInt(record.totalGross),
    totalFee: BigInt(record.totalFee),
    totalNet: BigInt(record.totalNet),
  };
}
