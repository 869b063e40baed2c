import { formatUnits, Interface, isError } from 'ethers';
import { REWARD_DISTRIBUTOR_CLAIM_ABI } from '../protocol/earnings.js';

/*
 * Helpers for the tools operators claim with (operator page, `edge-node claim`). Apart
 * from the main entry point because they pull in ethers: the play page bundles the main one.
 */

/** ATH has 18 decimals, like ether. */
export const ATH_DECIMALS = 18;

/**
 * ATH base units as text for people: at most `maxDecimals` decimals (cut, not rounded, so
 * nobody is shown more than they get), no trailing zeros (10000000000000000000n → "10"). A
 * positive amount too small to show says so ("<0.000001"), never "0". The command line
 * passes ATH_DECIMALS: every unit, exactly.
 */
export function formatAth(amount: bigint, maxDecimals = 6): string {
  const [whole = '0', fraction = ''] = formatUnits(amount, ATH_DECIMALS).split('.');
  const trimmed = fraction.slice(0, maxDecimals).replace(/0+$/, '');
  if (!trimmed && whole === '0' && amount > 0n) return `<${maxDecimals > 0 ? `0.${'0'.repeat(maxDecimals - 1)}` : ''}1`;
  return trimmed ? `${whole}.${trimmed}` : whole;
}

/**
 * The distributor's custom error behind a failed claim, or null. ethers decodes it for a
 * call, but a transaction refused at its gas estimate only carries the raw revert data.
 */
export function decodeDistributorRevert(error: unknown): { name: string; args: readonly unknown[] } | null {
  if (!isError(error, 'CALL_EXCEPTION')) return null;
  if (error.revert) return { name: error.revert.name, args: [...error.revert.args] };
  if (typeof error.data !== 'string' || error.data.length < 10) return null;
  const decoded = new Interface(REWARD_DISTRIBUTOR_CLAIM_ABI).parseError(error.data);
  return decoded ? { name: decoded.name, args: [...decoded.args] } : null;
}
