import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Contract, isError, JsonRpcProvider, Network, type Wallet } from 'ethers';
import {
  ErrorAnswerSchema,
  ErrorCode,
  isEdgePlayError,
  makeError,
  OperatorEarningsSchema,
  REWARD_DISTRIBUTOR_CLAIM_ABI,
  type OperatorEarnings,
} from '@edgeplay/shared';
import { ATH_DECIMALS, decodeDistributorRevert, formatAth } from '@edgeplay/shared/payouts';
import { defaultKeystorePath, keystorePassword } from '../identity/keygen-command.js';
import { loadKeystore } from '../identity/keystore.js';

export const CLAIM_USAGE = `usage: edge-node claim [--stake] [--broker URL] [--rpc URL] [--keystore FILE] [--password-file FILE]

Claims the ATH the operator wallet has earned: fetches its proof from the broker
(--broker, else BROKER_URL, default http://127.0.0.1:8080), sends the claim to the reward
distributor from the wallet (which pays the gas) and prints the amount and transaction.
--stake adds the ATH to the operator's stake instead of paying it out (claimAndStake).
The wallet: --keystore or EDGE_KEYSTORE (default ~/.config/edgeplay/operator-keystore.json),
its password from --password-file, EDGE_KEYSTORE_PASSWORD_FILE or EDGE_KEYSTORE_PASSWORD.
The chain: --rpc, else CHAIN_RPC_URL, else the RPC URL the broker offers.
Exits 0 after a claim, 3 when there is nothing to claim, 1 on any other failure.`;

/** Exit status when the wallet has nothing to claim: scripts can tell it from a failure. */
export const NOTHING_TO_CLAIM_EXIT = 3;

export interface ClaimDeps {
  /** The arguments after `claim`. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface ClaimArgs {
  stake: boolean;
  broker: string | undefined;
  rpc: string | undefined;
  keystore: string | undefined;
  passwordFile: string | undefined;
  help: boolean;
}

/** `edge-node claim`; resolves to the exit code, throws a coded error for other failures. */
export async function runClaim({ argv, env, stdout, stderr }: ClaimDeps): Promise<number> {
  const args = parseClaimArgs(argv);
  if (args.help) {
    stdout.write(`${CLAIM_USAGE}\n`);
    return 0;
  }
  const keystore = resolve(args.keystore ?? env.EDGE_KEYSTORE ?? defaultKeystorePath(env));
  const wallet = await loadKeystore(
    keystore,
    await keystorePassword(env, args.passwordFile ?? (env.EDGE_KEYSTORE_PASSWORD_FILE || undefined)),
  );
  const broker = args.broker ?? env.BROKER_URL ?? 'http://127.0.0.1:8080';
  try {
    const earnings = await fetchEarnings(broker, wallet.address);
    const rpcUrl = args.rpc ?? (env.CHAIN_RPC_URL || undefined) ?? earnings.chain.rpcUrl ?? undefined;
    if (!rpcUrl) {
      throw makeError(
        ErrorCode.CHAIN_UNAVAILABLE,
        'no RPC URL: pass --rpc or set CHAIN_RPC_URL (the broker offers none)',
      );
    }
    const result = await claim(wallet, earnings, rpcUrl, args.stake);
    stdout.write(
      args.stake
        ? `Staked ${formatAth(result.paid, ATH_DECIMALS)} ATH for ${wallet.address} (now ${formatAth(result.staked ?? 0n, ATH_DECIMALS)} ATH staked).\n`
        : `Claimed ${formatAth(result.paid, ATH_DECIMALS)} ATH for ${wallet.address}.\n`,
    );
    stdout.write(
      `Transaction ${result.txHash} (block ${result.blockNumber}, epoch ${earnings.proof?.epoch ?? '?'}).\n`,
    );
    return 0;
  } catch (error) {
    if (!isEdgePlayError(error, ErrorCode.NOTHING_TO_CLAIM)) throw error;
    stderr.write(`edge-node claim: ${error.message}\n`);
    return NOTHING_TO_CLAIM_EXIT;
  }
}

async function fetchEarnings(broker: string, operator: string): Promise<OperatorEarnings> {
  const url = new URL(`/api/operators/${operator}/earnings`, broker);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    const cause = (error as Error).cause;
    throw makeError(ErrorCode.EDGE_UNAVAILABLE, `cannot reach the broker at ${url.origin}: ${String(cause ?? error)}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const refused = ErrorAnswerSchema.safeParse(body);
  if (refused.success) throw makeError(refused.data.code, `the broker refused: ${refused.data.message}`);
  const parsed = OperatorEarningsSchema.safeParse(body);
  if (!parsed.success) {
    throw makeError(
      ErrorCode.INVALID_MESSAGE,
      `the broker's answer is not an earnings record (HTTP ${response.status})`,
    );
  }
  return parsed.data;
}

interface ClaimResult {
  txHash: string;
  blockNumber: number;
  paid: bigint;
  staked?: bigint;
}

async function claim(wallet: Wallet, earnings: OperatorEarnings, rpcUrl: string, stake: boolean): Promise<ClaimResult> {
  if (earnings.chainError !== null) throw makeError(ErrorCode.CHAIN_UNAVAILABLE, earnings.chainError);
  const { proof, claimable } = earnings;
  if (!proof || !claimable) {
    const pending =
      earnings.pending > 0n
        ? `; ${formatAth(earnings.pending, ATH_DECIMALS)} ATH are pending until their epoch is on chain`
        : '';
    const already = earnings.claimed ? ` (${formatAth(earnings.claimed, ATH_DECIMALS)} ATH claimed already)` : '';
    throw makeError(ErrorCode.NOTHING_TO_CLAIM, `nothing to claim for ${earnings.operator}${already}${pending}`);
  }
  const { chainId, distributor: address } = earnings.chain;
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
  try {
    const served = Number(
      await provider.send('eth_chainId', []).catch((error: unknown) => {
        throw makeError(
          ErrorCode.CHAIN_UNAVAILABLE,
          `cannot reach the chain at ${new URL(rpcUrl).origin}: ${String(error)}`,
        );
      }),
    );
    if (served !== chainId) {
      throw makeError(
        ErrorCode.CHAIN_UNAVAILABLE,
        `the RPC serves chain ${served}, but the broker pays on chain ${chainId}`,
      );
    }
    const distributor = new Contract(address, REWARD_DISTRIBUTOR_CLAIM_ABI, wallet.connect(provider));
    const method = stake ? 'claimAndStake' : 'claim';
    let receipt;
    try {
      const tx = (await distributor.getFunction(method)(wallet.address, proof.cumulativeAmount, proof.proof)) as {
        wait(): Promise<{
          hash: string;
          blockNumber: number;
          logs: { topics: readonly string[]; data: string }[];
        } | null>;
      };
      receipt = await tx.wait();
    } catch (error) {
      throw explain(error, wallet.address, chainId);
    }
    if (!receipt) throw makeError(ErrorCode.INTERNAL, 'the claim transaction has no receipt');
    const result: ClaimResult = { txHash: receipt.hash, blockNumber: receipt.blockNumber, paid: 0n };
    for (const log of receipt.logs) {
      const event = distributor.interface.parseLog(log);
      if (event?.name === 'Claimed') result.paid = event.args[1] as bigint;
      if (event?.name === 'ClaimStaked') {
        result.paid = event.args[1] as bigint;
        result.staked = event.args[2] as bigint;
      }
    }
    return result;
  } finally {
    provider.destroy();
  }
}

function explain(error: unknown, operator: string, chainId: number): Error {
  if (isError(error, 'INSUFFICIENT_FUNDS')) {
    return makeError(
      ErrorCode.INVALID_MESSAGE,
      `the operator wallet ${operator} has too little ETH on chain ${chainId} to pay the gas`,
    );
  }
  if (isError(error, 'CALL_EXCEPTION')) {
    const revert = decodeDistributorRevert(error);
    if (revert?.name === 'NothingToClaim') {
      return makeError(
        ErrorCode.NOTHING_TO_CLAIM,
        `nothing to claim for ${operator}: ${formatAth(revert.args[2] as bigint, ATH_DECIMALS)} ATH under the current root are claimed already`,
      );
    }
    return makeError(
      ErrorCode.INVALID_MESSAGE,
      `the distributor refused the claim: ${revert?.name ?? error.shortMessage}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function parseClaimArgs(argv: readonly string[]): ClaimArgs {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        stake: { type: 'boolean', default: false },
        broker: { type: 'string' },
        rpc: { type: 'string' },
        keystore: { type: 'string' },
        'password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      stake: values.stake,
      broker: values.broker,
      rpc: values.rpc,
      keystore: values.keystore,
      passwordFile: values['password-file'],
      help: values.help,
    };
  } catch (error) {
    // A stray positional might be a password typed in the wrong place: do not echo it.
    const positional = (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL';
    const reason = positional ? 'claim takes no positional arguments' : (error as Error).message;
    throw makeError(ErrorCode.INVALID_MESSAGE, `${reason}\n${CLAIM_USAGE}`);
  }
}
