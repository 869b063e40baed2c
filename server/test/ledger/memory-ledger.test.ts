import { MemoryLedger } from '../../src/ledger/memory-ledger.js';
import { describeLedgerContract } from './ledger-contract.js';

describeLedgerContract('memory', () => {
  const store = new MemoryLedger();
  return Promise.resolve({ store, peer: store });
});
