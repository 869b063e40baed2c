import { MemoryPublishStore } from '../../src/payouts/memory-publish-store.js';
import { describePublishStoreContract } from './publish-store-contract.js';

// One process, one instance: the peer handle is the store itself.
describePublishStoreContract('memory', () => {
  const store = new MemoryPublishStore();
  return Promise.resolve({ store, peer: store });
});
