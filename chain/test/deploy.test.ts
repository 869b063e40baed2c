import { getAddress, hexlify, randomBytes, type JsonRpcSigner } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { deployContracts } from '../src/deploy.js';
import {
  ATH,
  FIXTURE_TIMEOUT_MS,
  MIN_STAKE,
  read,
  startChain,
  UNBONDING_SECONDS,
  type ChainFixture,
} from './chain-fixture.js';

describe('deployContracts', () => {
  let chain: ChainFixture;

  beforeAll(async () => {
    chain = await startChain();
  }, FIXTURE_TIMEOUT_MS);

  afterAll(async () => {
    await chain?.close();
  });

  it('deploys a dev ATH token owned by the deployer and a distributor configured as asked', async () => {
    expect(await read(chain.token, 'symbol')).toBe('ATH');
    expect(await read(chain.token, 'owner')).toBe(chain.admin.address);
    expect(await read(chain.distributor, 'token')).toBe(await chain.token.getAddress());
    expect(await read(chain.distributor, 'minStake')).toBe(MIN_STAKE);
    expect(await read(chain.distributor, 'unbondingPeriod')).toBe(BigInt(UNBONDING_SECONDS));
    expect(await read(chain.distributor, 'currentEpoch')).toBe(0n);
  });

  it('uses the configured token on a real chain, with separate admin and publisher', async () => {
    const [admin, publisher] = chain.accounts as [JsonRpcSigner, JsonRpcSigner];
    const existing = await chain.token.getAddress();
    const deployed = await deployContracts(chain.admin, {
      token: existing.toLowerCase(),
      admin: admin.address,
      publisher: publisher.address,
      minStake: ATH('5'),
    });
    expect(deployed.deployedToken).toBe(false);
    expect(await deployed.token.getAddress()).toBe(existing);
    expect(await read(deployed.distributor, 'token')).toBe(existing);
    const role = (name: string) => read<string>(deployed.distributor, name);
    const hasRole = (name: string, account: string) =>
      role(name).then((id) => read<boolean>(deployed.distributor, 'hasRole', id, account));
    expect(await hasRole('DEFAULT_ADMIN_ROLE', admin.address)).toBe(true);
    expect(await hasRole('PAUSER_ROLE', admin.address)).toBe(true);
    expect(await hasRole('PUBLISHER_ROLE', publisher.address)).toBe(true);
    expect(await hasRole('PUBLISHER_ROLE', chain.admin.address)).toBe(false);
    expect(await hasRole('DEFAULT_ADMIN_ROLE', chain.admin.address)).toBe(false);
  });

  it('refuses a token address with no contract behind it', async () => {
    const nowhere = getAddress(hexlify(randomBytes(20)));
    const error = await deployContracts(chain.admin, { token: nowhere }).catch((caught: unknown) => caught);
    expect(isEdgePlayError(error, ErrorCode.INTERNAL)).toBe(true);
    expect(String((error as Error).message)).toContain(`no contract at the configured ATH token address ${nowhere}`);
  });
});
