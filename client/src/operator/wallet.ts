import { BrowserProvider, Contract, isError, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import { REWARD_DISTRIBUTOR_CLAIM_ABI, type ClaimProof, type PayoutChain } from '@edgeplay/shared';
import { decodeDistributorRevert, formatAth } from '@edgeplay/shared/payouts';

export interface ConnectedWallet {
  signer: JsonRpcSigner;
  address: string;
}

/** The page's EIP-1193 wallet (MetaMask and the like), if the browser has one. */
export function injectedProvider(): Eip1193Provider | undefined {
  return (window as { ethereum?: Eip1193Provider }).ethereum;
}

/** Asks the wallet for an account (the wallet shows its own prompt). */
export async function connectWallet(ethereum: Eip1193Provider): Promise<ConnectedWallet> {
  const provider = new BrowserProvider(ethereum);
  await provider.send('eth_requestAccounts', []);
  const signer = await provider.getSigner();
  return { signer, address: await signer.getAddress() };
}

/** Claims `proof` for `operator` through the wallet; resolves once mined, with what was paid. */
export async function sendClaim(
  ethereum: Eip1193Provider,
  chain: PayoutChain,
  operator: string,
  proof: ClaimProof,
): Promise<{ txHash: string; paid: bigint }> {
  const provider = new BrowserProvider(ethereum);
  const network = await provider.getNetwork();
  if (Number(network.chainId) !== chain.chainId) {
    try {
      await provider.send('wallet_switchEthereumChain', [{ chainId: `0x${chain.chainId.toString(16)}` }]);
    } catch {
      throw new Error(`Your wallet is on chain ${network.chainId}; switch it to chain ${chain.chainId} and try again.`);
    }
  }
  const distributor = new Contract(chain.distributor, REWARD_DISTRIBUTOR_CLAIM_ABI, await provider.getSigner());
  const tx = (await distributor.getFunction('claim')(operator, proof.cumulativeAmount, proof.proof)) as {
    hash: string;
    wait(): Promise<{ logs: { topics: readonly string[]; data: string }[]; status: number | null } | null>;
  };
  const receipt = await tx.wait();
  let paid = 0n;
  for (const log of receipt?.logs ?? []) {
    const parsed = distributor.interface.parseLog(log);
    if (parsed?.name === 'Claimed') paid = parsed.args[1] as bigint;
  }
  return { txHash: tx.hash, paid };
}

/** What went wrong with a claim, in words an operator can act on. */
export function explainClaimError(error: unknown): string {
  if (isError(error, 'ACTION_REJECTED')) return 'You rejected the transaction in your wallet.';
  if (isError(error, 'INSUFFICIENT_FUNDS')) return 'Your wallet has too little ETH to pay for the transaction.';
  if (isError(error, 'CALL_EXCEPTION')) {
    const revert = decodeDistributorRevert(error);
    switch (revert?.name) {
      case 'NothingToClaim': {
        const claimed = revert.args[2] as bigint;
        return `Refused: nothing to claim. ${formatAth(claimed)} ATH under the current root were already claimed.`;
      }
      case 'InvalidProof':
        return 'Refused: the proof does not match the contract’s current root (a new epoch was just published). Reload and try again.';
      case 'RewardPoolShort':
        return 'Refused: the reward pool is short right now; try again later.';
      case 'EnforcedPause':
        return 'Refused: claims are paused on the contract.';
      default:
        return `Refused by the contract: ${revert?.name ?? error.reason ?? error.shortMessage}.`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
