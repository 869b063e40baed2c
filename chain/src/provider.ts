import { JsonRpcProvider, Network } from 'ethers';

/**
 * A JSON-RPC provider for settlement. ethers v6 caches identical requests for 250 ms by
 * default, so two transactions from one key sent back to back could read the same pending
 * nonce: the cache is off here. Poll for receipts every 100 ms on a local chain (anvil
 * mines at once) and every second elsewhere, rather than ethers' 4 s.
 */
export function createProvider(url: string, chainId?: number): JsonRpcProvider {
  const network = chainId === undefined ? undefined : Network.from(chainId);
  const local = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url);
  return new JsonRpcProvider(url, network, {
    staticNetwork: network ?? null,
    cacheTimeout: -1,
    pollingInterval: local ? 100 : 1_000,
  });
}
