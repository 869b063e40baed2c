import { Wallet, type JsonRpcProvider } from 'ethers';
import type { BrowserContext } from 'playwright-core';

interface WalletAnswer {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * Gives every page of `context` a minimal EIP-1193 wallet (`window.ethereum`), as MetaMask
 * injects one: accounts and transactions are answered by `wallet` (a test key, signing in the
 * test process), every other JSON-RPC call goes to the chain at `rpcUrl`. Errors come back
 * with their code and revert data, so the page sees what it would see from a real wallet.
 */
export async function injectTestWallet(
  context: BrowserContext,
  key: string,
  provider: JsonRpcProvider,
  rpcUrl: string,
): Promise<Wallet> {
  const wallet = new Wallet(key, provider);
  await context.exposeFunction(
    'edgeplayTestWallet',
    async (method: string, params: unknown[]): Promise<WalletAnswer> => {
      try {
        switch (method) {
          case 'eth_requestAccounts':
          case 'eth_accounts':
            return { result: [wallet.address] };
          case 'eth_sendTransaction': {
            const [request] = params as [{ to: string; data?: string; value?: string; gas?: string }];
            const tx = await wallet.sendTransaction({
              to: request.to,
              ...(request.data ? { data: request.data } : {}),
              ...(request.value ? { value: BigInt(request.value) } : {}),
              ...(request.gas ? { gasLimit: BigInt(request.gas) } : {}),
            });
            return { result: tx.hash };
          }
          default: {
            const response = await fetch(rpcUrl, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
            });
            return (await response.json()) as WalletAnswer;
          }
        }
      } catch (error) {
        return { error: { code: -32603, message: error instanceof Error ? error.message : String(error) } };
      }
    },
  );
  await context.addInitScript({
    content: `
      window.ethereum = {
        isEdgePlayTestWallet: true,
        async request({ method, params }) {
          const answer = await window.edgeplayTestWallet(method, params ?? []);
          if (answer.error) {
            const error = new Error(answer.error.message);
            error.code = answer.error.code;
            error.data = answer.error.data;
            throw error;
          }
          return answer.result;
        },
        on() {},
        removeListener() {},
      };
    `,
  });
  return wallet;
}
