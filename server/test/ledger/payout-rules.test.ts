import { describe, expect, it } from 'vitest';
import type { UsageReceipt } from '@edgeplay/shared';
import { loadBrokerConfig } from '../../src/config.js';
import { computeEpochClose, toEpochClose } from '../../src/ledger/epoch-amounts.js';
import { judgeInterval } from '../../src/ledger/interval-judge.js';
import { qualityFactorBps } from '../../src/ledger/quality-factor.js';
import { DEFAULT_RATE_CARD, parseRateCard, ratePerMinute } from '../../src/ledger/rate-card.js';
import { OPERATOR_A, OPERATOR_B } from './ledger-fixture.js';

describe('quality factor', () => {
  it('is full at 90 % of the title’s fps and 50 ms, and falls with fps and round trip down to a floor', () => {
    const q = (fps: number, rttMs: number | null, titleFps = 60) => qualityFactorBps({ fps, titleFps, rttMs });
    expect(q(60, 10)).toBe(10_000);
    expect(q(54, 50)).toBe(10_000);
    expect(q(27, 50)).toBe(5_000);
    expect(q(54, 150)).toBe(7_500);
    expect(q(54, 250)).toBe(5_000);
    expect(q(54, 2_000)).toBe(5_000);
    expect(q(54, null)).toBe(5_000); // unmeasured counts as the worst
    expect(q(27, 150)).toBe(3_750);
    expect(q(2, 900)).toBe(1_000); // the floor
    expect(q(0.5, 10)).toBe(0); // nothing moved: nothing earned
    expect(q(30, 10, 30)).toBe(10_000);
  });
});

describe('interval tolerances', () => {
  const receipt = (side: 'player' | 'edge', changes: Partial<UsageReceipt> = {}): UsageReceipt => ({
    v: 1,
    side,
    sessionId: '3f1d7b7e-6a51-4c38-9d1e-1a2b3c4d5e6f',
    edgeId: 'edge-1',
    seq: 0,
    from: 100_000,
    to: 110_000,
    frames: 600,
    bitrateKbps: 4_000,
    rttMs: 20,
    ...changes,
  });
  const judge = (player: Partial<UsageReceipt>, edge: Partial<UsageReceipt>) =>
    judgeInterval(receipt('player', player), receipt('edge', edge), 60);

  it('holds at the stated bounds and fails just past them', () => {
    // Overlap ≥ 80 % of the longer interval.
    expect(judge({ from: 102_000 }, {})).toMatchObject({ status: 'verified', creditedMs: 8_000 });
    expect(judge({ from: 102_001 }, {}).status).toBe('mismatch');
    expect(judge({}, { to: 112_500 })).toMatchObject({ status: 'verified', creditedMs: 10_000 });
    expect(judge({}, { to: 112_501 }).status).toBe('mismatch');
    // Player frames ≤ edge × 1.02 + 2 …
    expect(judge({ frames: 614 }, {}).status).toBe('verified');
    expect(judge({ frames: 615 }, {}).status).toBe('mismatch');
    // … and ≥ edge × 0.8.
    expect(judge({ frames: 480 }, {}).status).toBe('verified');
    expect(judge({ frames: 479 }, {}).status).toBe('mismatch');
  });

  it('takes time and quality from the player, never from what the edge claims', () => {
    // The edge claims a longer interval and more frames (within tolerance): paid for the player's 9 s at 45 fps.
    const inflated = judge({ to: 109_000, frames: 405 }, { from: 99_000, frames: 500 });
    expect(inflated).toEqual({ status: 'verified', creditedMs: 9_000, qualityBps: 8_333 });
    // The edge's RTT only stands in when the page has none.
    expect(judge({ rttMs: null }, { rttMs: 150 })).toMatchObject({ qualityBps: 7_500 });
    expect(judge({ rttMs: 20 }, { rttMs: 900 })).toMatchObject({ qualityBps: 10_000 });
  });
});

describe('rate card', () => {
  it('lays RATE_CARD entries over the default table and pays nvidia-smi classes by their family', () => {
    const card = parseRateCard('rtx-4090=40000000000000000, h100-80gb-hbm3=1 ,default=0');
    expect(card['rtx-4090']).toBe(40_000_000_000_000_000n);
    expect(ratePerMinute(card, 'h100-80gb-hbm3')).toBe(1n);
    expect(ratePerMinute(card, 'h100-pcie')).toBe(DEFAULT_RATE_CARD.h100);
    expect(ratePerMinute(card, 'l40s')).toBe(0n); // not l40-…: the default
    expect(ratePerMinute(DEFAULT_RATE_CARD, 'gtx-1080')).toBe(10n ** 15n);
    expect(() => parseRateCard('rtx-4090=0.5')).toThrow(/rtx-4090=0.5/);
    expect(() => parseRateCard('RTX=1')).toThrow(RangeError);
  });

  it('is configured from the environment, and a bad one is named at boot', () => {
    const config = loadBrokerConfig({ RATE_CARD: 'cpu=7', PROTOCOL_FEE_BPS: '250' });
    expect(config.rateCard.cpu).toBe(7n);
    expect(config.rateCard['rtx-4090']).toBe(DEFAULT_RATE_CARD['rtx-4090']);
    expect(config.protocolFeeBps).toBe(250);
    expect(() => loadBrokerConfig({ RATE_CARD: 'cpu=lots' })).toThrow(/RATE_CARD/);
    expect(() => loadBrokerConfig({ PROTOCOL_FEE_BPS: '10001' })).toThrow(/PROTOCOL_FEE_BPS/);
  });
});

describe('epoch amounts', () => {
  it('floors once per operator, gives the remainder to the fee, and carries cumulative amounts', () => {
    const card = { default: 7n }; // 7 base units a minute: every figure below is a fraction
    const credits = [
      // 10 s at quality 0.3333 on two classes: 7 × (10,000 × 3,333) × 2 / 600,000,000 = 0.7777 → 0
      {
        operator: OPERATOR_A,
        gpuClass: 'cpu',
        verifiedMs: 10_000,
        weightedMs: 33_330_000n,
        intervals: 1,
        mismatches: 0,
      },
      {
        operator: OPERATOR_A,
        gpuClass: 'l4',
        verifiedMs: 10_000,
        weightedMs: 33_330_000n,
        intervals: 1,
        mismatches: 1,
      },
      // 30 min at full quality: 210 gross; 10 % fee = 21
      {
        operator: OPERATOR_B,
        gpuClass: 'cpu',
        verifiedMs: 1_800_000,
        weightedMs: 18_000_000_000n,
        intervals: 180,
        mismatches: 0,
      },
    ];
    const first = computeEpochClose({
      epoch: 1,
      closedAt: 5,
      credits,
      rateCard: card,
      feeBps: 1_000,
      previous: undefined,
    });
    expect(first.operators).toEqual(
      [
        {
          operator: OPERATOR_B,
          verifiedMs: 1_800_000,
          intervals: 180,
          mismatches: 0,
          gross: '210',
          fee: '21',
          net: '189',
        },
        { operator: OPERATOR_A, verifiedMs: 20_000, intervals: 2, mismatches: 1, gross: '0', fee: '0', net: '0' },
      ].sort((a, b) => (a.operator < b.operator ? -1 : 1)),
    );
    expect(first.cumulative).toEqual({ [OPERATOR_B]: '189' });
    // 1 minute more for A: 7 gross, fee floor(7 × 0.9) = 6 net, so the fee takes 1.
    const second = computeEpochClose({
      epoch: 2,
      closedAt: 6,
      credits: [
        {
          operator: OPERATOR_A,
          gpuClass: 'cpu',
          verifiedMs: 60_000,
          weightedMs: 600_000_000n,
          intervals: 6,
          mismatches: 0,
        },
      ],
      rateCard: card,
      feeBps: 1_000,
      previous: first,
    });
    const close = toEpochClose(second);
    expect(close.perOperatorEpochAmount.get(OPERATOR_A)).toBe(6n);
    expect(close.totalFee).toBe(1n);
    expect(close.amounts).toEqual(
      new Map([
        [OPERATOR_A, 6n],
        [OPERATOR_B, 189n],
      ]),
    );
  });
});
