import { MemoryStore } from '../../src/store/memory-store.js';
import { describeStoreContract } from './store-contract.js';

// One process, one instance: the peer handle is the store itself.
describeStoreContract('memory', async (clock) => {
  const store = new MemoryStore({ clock });
  return { store, peer: store };
});
