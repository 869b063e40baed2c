import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/ledger/memory-ledger.js';
import { closeLedgerEpoch } from '../../src/payouts/ledger-epochs.js';
import { codeOf, joinEdge, makeLedger, manualClock, OPERATOR_A, placeSession, T0 } from '../ledger/ledger-fixture.js';

describe('closing ledger epochs for payouts', () => {
  it('refuses an epoch in which nothing was verified, and leaves it open for the play that comes', async () => {
    const ledger = makeLedger(new MemoryLedger(), manualClock(T0 + 10 * 60_000).now);
    const close = closeLedgerEpoch(ledger);

    expect(await codeOf(close(1))).toBe('EPOCH_STATE');
    expect(await ledger.currentEpoch()).toBe(1);

    const session = await placeSession(ledger, await joinEdge(ledger));
    await ledger.submit(session.signed('edge', 0), { side: 'edge', edgeId: session.edge.edgeId });
    // One side alone verifies nothing.
    expect(await codeOf(close(1))).toBe('EPOCH_STATE');
    await ledger.submit(session.signed('player', 0), { side: 'player' });

    const amounts = await close(1);
    expect(amounts.get(OPERATOR_A)).toBeGreaterThan(0n);
    expect(await ledger.currentEpoch()).toBe(2);
    // A closed epoch is given again as it was closed.
    expect(await close(1)).toEqual(amounts);
  });
});
