import { ErrorCode, makeError } from '@edgeplay/shared';
import type { Ledger } from '../ledger/ledger.js';
import type { CloseEpoch } from './epoch-publisher.js';

/**
 * The publisher's source of an epoch's amounts: ledger epoch N closes as payout epoch N, so
 * the two are numbered alike. An open epoch in which nothing was verified is not closed
 * (EPOCH_STATE, and the ledger is left as it was): its tree would be empty before anyone has
 * earned, which no root can be published for, and the frozen empty epoch would then stand
 * in front of every later one.
 */
export function closeLedgerEpoch(ledger: Ledger): CloseEpoch {
  return async (epoch) => {
    if (epoch === (await ledger.currentEpoch()) && !(await ledger.epochHasCredits(epoch))) {
      throw makeError(
        ErrorCode.EPOCH_STATE,
        `nothing to close: no play has been verified in epoch ${epoch} yet (both the player and the node must sign a slot)`,
      );
    }
    return (await ledger.closeEpoch(epoch)).amounts;
  };
}
