import type { EpochEarning } from '@edgeplay/shared';

export type EpochState = 'claimed' | 'claimable' | 'pending' | 'failed';

/**
 * Where one epoch's ATH stands for the operator. Claims are cumulative: an epoch is claimed
 * once what the contract says was claimed reaches its cumulative amount, and claimable once
 * its root is confirmed (and no later than the root claims are checked against).
 */
export function epochState(epoch: EpochEarning, claimed: bigint | null, claimableUpTo: number | null): EpochState {
  if (epoch.status === 'failed') return 'failed';
  if (epoch.status !== 'confirmed') return 'pending';
  if (claimed !== null && epoch.cumulative <= claimed) return 'claimed';
  if (claimableUpTo !== null && epoch.epoch > claimableUpTo) return 'pending';
  return 'claimable';
}

export const EPOCH_STATE_LABEL: Record<EpochState, string> = {
  claimed: 'claimed',
  claimable: 'claimable',
  pending: 'pending (not on chain yet)',
  failed: 'failed to publish',
};

/** Total verified minutes, or null while the usage ledger reports none. */
export function totalMinutes(epochs: readonly EpochEarning[]): number | null {
  const known = epochs.map((epoch) => epoch.verifiedMinutes).filter((minutes): minutes is number => minutes !== null);
  return known.length === 0 ? null : known.reduce((sum, minutes) => sum + minutes, 0);
}
