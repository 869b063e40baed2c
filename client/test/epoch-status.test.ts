import { describe, expect, it } from 'vitest';
import type { EpochEarning } from '@edgeplay/shared';
import { formatAth } from '@edgeplay/shared/payouts';
import { epochState, totalMinutes } from '../src/operator/epoch-status.js';

const ATH = 10n ** 18n;

function epoch(number: number, cumulative: bigint, overrides: Partial<EpochEarning> = {}): EpochEarning {
  return {
    epoch: number,
    cumulative,
    amount: cumulative,
    root: `0x${'11'.repeat(32)}`,
    status: 'confirmed',
    txHash: null,
    verifiedMinutes: null,
    ...overrides,
  };
}

describe('where an epoch’s ATH stands on the operator page', () => {
  it('is claimed once the claimed total reaches its cumulative amount, claimable before', () => {
    expect(epochState(epoch(1, 10n * ATH), 10n * ATH, 2)).toBe('claimed');
    expect(epochState(epoch(2, 25n * ATH), 10n * ATH, 2)).toBe('claimable');
    expect(epochState(epoch(2, 25n * ATH), 0n, 2)).toBe('claimable');
  });

  it('is pending until its root is confirmed and current, and says so when publishing failed', () => {
    expect(epochState(epoch(3, 30n * ATH, { status: 'submitted' }), 10n * ATH, 2)).toBe('pending');
    expect(epochState(epoch(3, 30n * ATH, { status: 'pending' }), 10n * ATH, 2)).toBe('pending');
    expect(epochState(epoch(3, 30n * ATH), 10n * ATH, 2)).toBe('pending'); // confirmed after the proof was read
    expect(epochState(epoch(3, 30n * ATH, { status: 'failed' }), 10n * ATH, 2)).toBe('failed');
  });

  it('leaves claimed figures open when the chain did not answer', () => {
    expect(epochState(epoch(1, 10n * ATH), null, null)).toBe('claimable');
  });

  it('adds verified minutes only once the ledger reports some', () => {
    expect(totalMinutes([epoch(1, 1n), epoch(2, 2n)])).toBeNull();
    expect(
      totalMinutes([epoch(1, 1n, { verifiedMinutes: 90 }), epoch(2, 2n), epoch(3, 3n, { verifiedMinutes: 30.5 })]),
    ).toBe(120.5);
  });

  it('writes ATH for people: whole units, up to six decimals, no trailing zeros', () => {
    expect(formatAth(0n)).toBe('0');
    expect(formatAth(10n * ATH)).toBe('10');
    expect(formatAth(12n * ATH + ATH / 2n)).toBe('12.5');
    // Too small to show is not nothing.
    expect(formatAth(1n)).toBe('<0.000001');
    expect(formatAth(1_234_567_890_123n * 10n ** 6n)).toBe('1.234567');
    // The command line shows every unit.
    expect(formatAth(1n, 18)).toBe('0.000000000000000001');
    expect(formatAth(1_234_567_890_123n * 10n ** 6n, 18)).toBe('1.234567890123');
  });
});
