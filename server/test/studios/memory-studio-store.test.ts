import { MemoryStudioStore } from '../../src/studios/memory-studio-store.js';
import { describeStudioStoreContract } from './studio-store-contract.js';

// One process, one instance: the peer handle is the store itself.
describeStudioStoreContract('memory', () => {
  const store = new MemoryStudioStore();
  return Promise.resolve({ store, peer: store });
});
