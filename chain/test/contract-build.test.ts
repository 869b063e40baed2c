import { describe, expect, it } from 'vitest';
import { loadArtifact } from '../src/artifacts.js';
import { buildContracts } from '../src/compile.js';
import { FIXTURE_TIMEOUT_MS } from './chain-fixture.js';

describe('contract build', () => {
  it(
    'is cached: a second build with unchanged sources does not run the compiler',
    async () => {
      const first = await buildContracts();
      const second = await buildContracts();
      expect(second).toEqual({ compiled: false, contracts: first.contracts, hash: first.hash });
      expect(second.contracts).toEqual(expect.arrayContaining(['AthToken', 'RewardDistributor']));
    },
    FIXTURE_TIMEOUT_MS,
  );

  it('packs what a claim touches: pause flag with bonded total, stake with claimed total', async () => {
    const { storageLayout } = await loadArtifact('RewardDistributor');
    const slotOf = (label: string) => storageLayout?.storage.find((entry) => entry.label === label)?.slot;
    // One cold SLOAD reads both the pause flag and the pool check's bonded total.
    expect(slotOf('_paused')).toBeDefined();
    expect(slotOf('totalBonded')).toBe(slotOf('_paused'));
    // An operator's claimed total shares its stake's slot (a 2,900-gas rewrite, not a 20,000-gas fresh one).
    const accounts = storageLayout?.storage.find((entry) => entry.label === '_accounts');
    const types = storageLayout?.types as Record<
      string,
      { members?: { label: string; slot: string }[]; value?: string }
    >;
    const account = types[types[accounts?.type ?? '']?.value ?? ''];
    expect(account?.members?.map(({ label, slot }) => [label, slot])).toEqual([
      ['staked', '0'],
      ['claimed', '0'],
    ]);
  });
});
