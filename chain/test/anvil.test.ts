import { afterEach, describe, expect, it } from 'vitest';
import { startAnvil, type Anvil } from '../src/anvil.js';
import { createProvider } from '../src/provider.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startAnvil', () => {
  const started: Anvil[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((anvil) => anvil.close()));
  });

  it('runs the real anvil on its own loopback port and is gone once close() resolves', async () => {
    const [first, second] = await Promise.all([startAnvil(), startAnvil({ chainId: 8453 })]);
    started.push(first, second);
    expect(first.port).not.toBe(second.port);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const provider = createProvider(first.url, first.chainId);
    const version = (await provider.send('web3_clientVersion', [])) as string;
    expect(version).toMatch(/^anvil\//);
    const [funded] = (await provider.send('eth_accounts', [])) as string[];
    expect(await provider.getBalance(funded as string)).toBeGreaterThan(0n);
    provider.destroy();
    const detected = createProvider(second.url);
    expect((await detected.getNetwork()).chainId).toBe(8453n);
    detected.destroy();

    expect(isRunning(first.pid)).toBe(true);
    await first.close();
    expect(isRunning(first.pid)).toBe(false);
    await first.close(); // twice is harmless
    await expect(fetch(first.url, { method: 'POST' })).rejects.toThrow();
    expect(isRunning(second.pid)).toBe(true);
  });
});
