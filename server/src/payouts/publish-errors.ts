import { isError, type Interface } from 'ethers';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';

/**
 * Whether a failed publish step is final (the chain refused, or the records disagree with it)
 * or may pass on a retry (the RPC or the store did not answer). Only a final error marks an
 * epoch `failed`; anything else is retried, because a transaction sent while the RPC was
 * flaky may still be mined.
 */
export function isFinal(error: unknown): boolean {
  if (isEdgePlayError(error, ErrorCode.EPOCH_STATE)) return true;
  return isError(error, 'CALL_EXCEPTION') || isError(error, 'INSUFFICIENT_FUNDS');
}

/** A short, key-free description of `error`, with the contract's custom error decoded where there is one. */
export function describeChainError(error: unknown, contract?: Interface): string {
  if (isError(error, 'CALL_EXCEPTION')) {
    const data = error.data;
    if (contract && typeof data === 'string' && data.length >= 10) {
      const decoded = contract.parseError(data);
      if (decoded) return `the contract refused: ${decoded.name}(${decoded.args.map(String).join(', ')})`;
    }
    return `the contract refused: ${error.reason ?? error.shortMessage}`;
  }
  if (isError(error, 'INSUFFICIENT_FUNDS')) return 'the publisher account has too little ETH for gas';
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    const cause = (error as { cause?: unknown }).cause;
    const base = typeof short === 'string' ? short : error.message;
    return cause instanceof Error && !base.includes(cause.message) ? `${base} (${cause.message})` : base;
  }
  return String(error);
}

/** The node already has this signed transaction, or its nonce was used: broadcasting it again changes nothing. */
export function isAlreadyKnown(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /already known|already imported|known transaction/i.test(message);
}
