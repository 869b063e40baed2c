import { afterEach, describe, expect, it } from 'vitest';
import { RECEIPT_PERIOD_MS } from '@edgeplay/shared';
import { createSessionKey, signReceipt } from '@edgeplay/shared/node';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { LedgerStore } from '../../src/ledger/ledger-store.js';
import {
  codeOf,
  joinEdge,
  makeLedger,
  manualClock,
  OPERATOR_A,
  OPERATOR_B,
  placeSession,
  T0,
} from './ledger-fixture.js';

/** Two handles on one ledger state (two connections for Redis), as two brokers would have. */
export type LedgerStores = () => Promise<{ store: LedgerStore; peer: LedgerStore }>;

const ATH = 10n ** 18n;
/** rtx-4090 pays 0.03 ATH a minute by default. */
const RTX_4090_PER_MINUTE = (3n * ATH) / 100n;

/**
 * The ledger's behaviour, run against every LedgerStore: what is credited, what is
 * refused and with which code, and what an epoch pays.
 */
export function describeLedgerContract(name: string, open: LedgerStores): void {
  describe(`usage ledger (${name})`, () => {
    const opened: LedgerStore[] = [];
    const clock = manualClock(T0 + 10 * 60_000);
    let ledger: Ledger;
    let peerLedger: Ledger;

    const fresh = async (options: { feeBps?: number } = {}): Promise<void> => {
      const { store, peer } = await open();
      opened.push(store, peer);
      ledger = makeLedger(store, clock.now, options);
      peerLedger = makeLedger(peer, clock.now, options);
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('credits a slot once both sides agree: the player-confirmed time at the quality the player saw', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      expect(await ledger.submit(session.signed('edge', 0), { side: 'edge', edgeId: session.edge.edgeId })).toEqual({
        status: 'accepted',
        interval: 'pending',
      });
      expect(await ledger.submit(session.signed('player', 0), { side: 'player' })).toEqual({
        status: 'accepted',
        interval: 'verified',
        creditedMs: RECEIPT_PERIOD_MS,
        qualityBps: 10_000,
      });
      const [interval] = await ledger.intervals(session.sessionId);
      expect(interval?.verdict).toMatchObject({
        status: 'verified',
        operator: OPERATOR_A,
        gpuClass: 'rtx-4090',
        epoch: 1,
      });
      expect(interval?.player?.receipt.frames).toBe(600);
      expect(interval?.edge?.receipt.frames).toBe(600);
    });

    it('credits only the overlap the player confirms, and lower quality at a low frame rate or a long round trip', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      // Slot 0: the edge claims a second before the player began, and the player stopped a second early (82 % overlap).
      const { from, to } = session.receipt('player', 0, {});
      await ledger.submit(session.signed('edge', 0, { from: from - 1000, frames: 610 }), via);
      const slot0 = await ledger.submit(session.signed('player', 0, { to: to - 1000, frames: 540 }), {
        side: 'player',
      });
      expect(slot0).toMatchObject({ interval: 'verified', creditedMs: 9_000, qualityBps: 10_000 });
      // Slot 1: 27 fps of 60 (half of the 90 % mark) at 150 ms: 0.5 × 0.75.
      await ledger.submit(session.signed('edge', 1, { frames: 300 }), via);
      const slot1 = await ledger.submit(session.signed('player', 1, { frames: 270, rttMs: 150 }), { side: 'player' });
      expect(slot1).toMatchObject({ interval: 'verified', creditedMs: 10_000, qualityBps: 3_750 });
    });

    it('takes the sides in either order, and a duplicate changes nothing', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      await ledger.submit(session.signed('player', 0), { side: 'player' });
      expect(await ledger.submit(session.signed('edge', 0), via)).toMatchObject({
        status: 'accepted',
        interval: 'verified',
      });
      expect(await ledger.submit(session.signed('edge', 0), via)).toMatchObject({
        status: 'duplicate',
        interval: 'verified',
      });
      expect(await peerLedger.submit(session.signed('player', 0), { side: 'player' })).toMatchObject({
        status: 'duplicate',
      });
      const closed = await ledger.closeEpoch(1);
      expect(closed.operators.get(OPERATOR_A)).toMatchObject({ verifiedMs: 10_000, intervals: 1 });
    });

    it('refuses forged receipts: a wrong key, a changed field, an unauthorised edge key, the wrong side', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      const stranger = createSessionKey(60_000, T0);
      expect(await codeOf(ledger.submit(session.signed('player', 0, {}, stranger), { side: 'player' }))).toBe(
        'RECEIPT_INVALID',
      );
      const tampered = session.signed('player', 0);
      tampered.receipt.frames += 60;
      expect(await codeOf(ledger.submit(tampered, { side: 'player' }))).toBe('RECEIPT_INVALID');
      // Signed by "its" key, but that key's signature over another message.
      const swapped = { ...session.signed('player', 0), signature: session.signed('player', 1).signature };
      expect(await codeOf(ledger.submit(swapped, { side: 'player' }))).toBe('RECEIPT_INVALID');
      expect(await codeOf(ledger.submit(session.signed('edge', 0, {}, stranger), via))).toBe('RECEIPT_INVALID');
      // A player receipt relabelled as the edge's does not verify (the side is signed).
      const relabelled = session.signed('player', 0);
      relabelled.receipt.side = 'edge';
      relabelled.signer = session.edge.key.publicKeyRaw;
      expect(await codeOf(ledger.submit(relabelled, via))).toBe('RECEIPT_INVALID');
      // Each connection submits its own side only, and an edge only its own receipts.
      expect(await codeOf(ledger.submit(session.signed('edge', 0), { side: 'player' }))).toBe('RECEIPT_INVALID');
      expect(await codeOf(ledger.submit(session.signed('edge', 0), { side: 'edge', edgeId: 'edge-other' }))).toBe(
        'RECEIPT_INVALID',
      );
      expect(await codeOf(ledger.submit({ receipt: { v: 1 } }, { side: 'player' }))).toBe('INVALID_MESSAGE');
      expect(await ledger.intervals(session.sessionId)).toEqual([]);
    });

    it('refuses another session’s receipt replayed into this one, and receipts of sessions never placed', async () => {
      await fresh();
      const edge = await joinEdge(ledger);
      const first = await placeSession(ledger, edge);
      const second = await placeSession(ledger, edge);
      await ledger.submit(first.signed('player', 0), { side: 'player' });
      const replayed = first.signed('player', 0);
      replayed.receipt.sessionId = second.sessionId;
      expect(await codeOf(ledger.submit(replayed, { side: 'player' }))).toBe('RECEIPT_INVALID');
      const edgeReplay = first.signed('edge', 0);
      edgeReplay.receipt.sessionId = second.sessionId;
      expect(await codeOf(ledger.submit(edgeReplay, { side: 'edge', edgeId: edge.edgeId }))).toBe('RECEIPT_INVALID');
      // Signed anew by the first session's player for the second session: not that session's player.
      expect(
        await codeOf(ledger.submit(signReceipt(first.player, second.receipt('player', 0)), { side: 'player' })),
      ).toBe('RECEIPT_INVALID');
      const ghost = first.signed('player', 0);
      ghost.receipt.sessionId = '00000000-0000-4000-8000-000000000000';
      expect(await codeOf(ledger.submit(ghost, { side: 'player' }))).toBe('SESSION_NOT_FOUND');
      expect(await ledger.intervals(second.sessionId)).toEqual([]);
    });

    it('refuses a second, different receipt for a slot, and receipts out of order', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      await ledger.submit(session.signed('player', 3), { side: 'player' });
      expect(await codeOf(ledger.submit(session.signed('player', 3, { frames: 599 }), { side: 'player' }))).toBe(
        'RECEIPT_CONFLICT',
      );
      expect(await codeOf(ledger.submit(session.signed('player', 2), { side: 'player' }))).toBe('RECEIPT_OUT_OF_ORDER');
      // The edge's sequence is its own: its slot 2 is fine.
      expect(
        await ledger.submit(session.signed('edge', 2), { side: 'edge', edgeId: session.edge.edgeId }),
      ).toMatchObject({ status: 'accepted', interval: 'pending' });
    });

    it('refuses intervals that cannot be right: outside their slot, under a second, in the future', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const slot = (seq: number, changes: object) =>
        codeOf(ledger.submit(session.signed('player', seq, changes), { side: 'player' }));
      const { from } = session.receipt('player', 1);
      expect(await slot(1, { from: from - 5_000 })).toBe('RECEIPT_INTERVAL');
      expect(await slot(1, { to: from + 15_000 })).toBe('RECEIPT_INTERVAL');
      expect(await slot(1, { to: from + 500 })).toBe('RECEIPT_INTERVAL');
      // Before the session was placed: there is no slot -1, and slot 0 starts at the ticket's iat.
      expect(await slot(0, { from: session.anchorAt - 5_000 })).toBe('RECEIPT_INTERVAL');
      const future = Math.ceil((clock.now() - session.anchorAt) / RECEIPT_PERIOD_MS) + 1;
      expect(await slot(future, {})).toBe('RECEIPT_INTERVAL');
      // The last, partial slot of a session: a few seconds are fine.
      expect(await ledger.submit(session.signed('player', 1, { to: from + 3_000 }), { side: 'player' })).toMatchObject({
        status: 'accepted',
      });
    });

    it('records a mismatch beyond the tolerances, credits nothing for it, and says so to both sides', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      // The edge claims 30 % more frames than the player decoded.
      await ledger.submit(session.signed('edge', 0, { frames: 780 }), via);
      expect(await codeOf(ledger.submit(session.signed('player', 0), { side: 'player' }))).toBe('RECEIPT_MISMATCH');
      expect(await codeOf(ledger.submit(session.signed('edge', 0, { frames: 780 }), via))).toBe('RECEIPT_MISMATCH');
      // The player decoded more than the edge sent.
      await ledger.submit(session.signed('edge', 1, { frames: 500 }), via);
      expect(await codeOf(ledger.submit(session.signed('player', 1), { side: 'player' }))).toBe('RECEIPT_MISMATCH');
      // The edge's interval covers only 60 % of the player's.
      const { from } = session.receipt('edge', 2);
      await ledger.submit(session.signed('edge', 2, { from: from + 4_000, frames: 360 }), via);
      expect(await codeOf(ledger.submit(session.signed('player', 2, { frames: 360 }), { side: 'player' }))).toBe(
        'RECEIPT_MISMATCH',
      );
      const intervals = await ledger.intervals(session.sessionId);
      expect(intervals.map((interval) => interval.verdict?.status)).toEqual(['mismatch', 'mismatch', 'mismatch']);
      expect(intervals[0]?.verdict?.reason).toMatch(/600 of the 780 frames/);
      const closed = await ledger.closeEpoch(1);
      expect(closed.operators.get(OPERATOR_A)).toMatchObject({ verifiedMs: 0, mismatches: 3, net: 0n });
      expect(closed.amounts.size).toBe(0);
    });

    it('accepts receipts signed with any key the operator authorised, not an expired one', async () => {
      await fresh();
      const edge = await joinEdge(ledger);
      const session = await placeSession(ledger, edge);
      const via = { side: 'edge', edgeId: edge.edgeId } as const;
      await ledger.submit(session.signed('edge', 0), via);
      // The edge joins again (a broker restart): a new key; receipts journalled under the old one still count.
      const rejoined = await joinEdge(ledger, { edgeId: edge.edgeId, key: createSessionKey(60 * 60_000, T0) });
      expect(await ledger.submit(session.signed('edge', 1, {}, rejoined.key), via)).toMatchObject({
        status: 'accepted',
      });
      expect(await ledger.submit(session.signed('edge', 2), via)).toMatchObject({ status: 'accepted' });
      // A key that expired before the interval it signs does not count.
      const shortLived = await joinEdge(ledger, { edgeId: edge.edgeId, key: createSessionKey(15_000, T0) });
      expect(await codeOf(ledger.submit(session.signed('edge', 3, {}, shortLived.key), via))).toBe('RECEIPT_INVALID');
      // Another operator's key for the same edge id does not sign this operator's sessions.
      const usurper = await joinEdge(ledger, {
        edgeId: edge.edgeId,
        operator: OPERATOR_B,
        key: createSessionKey(60 * 60_000, T0),
      });
      expect(await codeOf(ledger.submit(session.signed('edge', 4, {}, usurper.key), via))).toBe('RECEIPT_INVALID');
    });

    it('credits a slot once when both sides arrive at once on two brokers', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      for (let seq = 0; seq < 10; seq++) {
        const answers = await Promise.all([
          ledger.submit(session.signed('player', seq), { side: 'player' }),
          peerLedger.submit(session.signed('edge', seq), via),
          peerLedger.submit(session.signed('player', seq), { side: 'player' }),
        ]);
        expect(answers.filter((answer) => answer.status === 'accepted')).toHaveLength(2);
      }
      const closed = await peerLedger.closeEpoch(1);
      expect(closed.operators.get(OPERATOR_A)).toMatchObject({ verifiedMs: 100_000, intervals: 10 });
    });

    it('closes epochs: per-operator amounts in bigint, the fee, cumulative totals, idempotent', async () => {
      await fresh({ feeBps: 500 });
      const edgeA = await joinEdge(ledger);
      const edgeB = await joinEdge(ledger, { operator: OPERATOR_B, gpuClass: 'h100-80gb-hbm3' });
      const a = await placeSession(ledger, edgeA);
      const b = await placeSession(ledger, edgeB);
      const play = async (session: typeof a, seq: number, playerChanges = {}): Promise<void> => {
        await ledger.submit(session.signed('edge', seq), { side: 'edge', edgeId: session.edge.edgeId });
        await ledger.submit(session.signed('player', seq, playerChanges), { side: 'player' });
      };
      expect(await ledger.epochHasCredits(1)).toBe(false);
      for (let seq = 0; seq < 6; seq++) await play(a, seq); // one minute at full quality
      expect(await peerLedger.epochHasCredits(1)).toBe(true);
      await play(b, 0, { frames: 540, rttMs: 100 }); // 10 s at 0.875 (RTT) on an h100
      expect(await ledger.currentEpoch()).toBe(1);
      const first = await ledger.closeEpoch();
      expect(first.epoch).toBe(1);
      expect(await ledger.currentEpoch()).toBe(2);
      expect(await ledger.epochHasCredits(1)).toBe(true);
      expect(await ledger.epochHasCredits(2)).toBe(false);

      const grossA = RTX_4090_PER_MINUTE; // 60 s × 1.0
      const h100 = (8n * ATH) / 100n;
      const grossB = (h100 * 10_000n * 8_750n) / (60_000n * 10_000n);
      const net = (gross: bigint) => (gross * 9_500n) / 10_000n;
      expect(first.operators.get(OPERATOR_A)).toEqual({
        verifiedMs: 60_000,
        intervals: 6,
        mismatches: 0,
        gross: grossA,
        fee: grossA - net(grossA),
        net: net(grossA),
      });
      expect(first.perOperatorEpochAmount.get(OPERATOR_B)).toBe(net(grossB));
      expect(first.totalFee).toBe(grossA - net(grossA) + grossB - net(grossB));
      expect(first.totalNet + first.totalFee).toBe(first.totalGross);
      expect(first.amounts).toEqual(
        new Map([
          [OPERATOR_A, net(grossA)],
          [OPERATOR_B, net(grossB)],
        ]),
      );

      // Closing again, from either broker, gives the stored result even if nothing else is left to do.
      expect(await peerLedger.closeEpoch(1)).toEqual(first);
      expect(await codeOf(ledger.closeEpoch(3))).toBe('INVALID_MESSAGE');

      // Epoch 2: only A plays; B's cumulative amount carries over unchanged.
      for (let seq = 6; seq < 9; seq++) await play(a, seq);
      const second = await peerLedger.closeEpoch(2);
      const grossA2 = RTX_4090_PER_MINUTE / 2n;
      expect(second.perOperatorEpochAmount).toEqual(new Map([[OPERATOR_A, net(grossA2)]]));
      expect(second.amounts).toEqual(
        new Map([
          [OPERATOR_A, net(grossA) + net(grossA2)],
          [OPERATOR_B, net(grossB)],
        ]),
      );
      expect(await ledger.closeEpoch(2)).toEqual(second);
    });

    it('credits a slot verified after an epoch froze to the next epoch', async () => {
      await fresh();
      const session = await placeSession(ledger, await joinEdge(ledger));
      const via = { side: 'edge', edgeId: session.edge.edgeId } as const;
      await ledger.submit(session.signed('edge', 0), via);
      const first = await ledger.closeEpoch(1);
      expect(first.amounts.size).toBe(0);
      expect(await ledger.submit(session.signed('player', 0), { side: 'player' })).toMatchObject({
        interval: 'verified',
      });
      const [interval] = await ledger.intervals(session.sessionId);
      expect(interval?.verdict?.epoch).toBe(2);
      expect((await ledger.closeEpoch(2)).operators.get(OPERATOR_A)?.verifiedMs).toBe(10_000);
      expect(await ledger.closeEpoch(1)).toEqual(first);
    });
  });
}
