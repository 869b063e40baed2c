import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ClaimRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ClaimOptions {
  brokerUrl: string;
  keystore: string;
  password: string;
  args?: string[];
  /** Overrides of the environment built from the options. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `edge-node claim ARGS` as an operator runs it: its own process, the wallet from a keystore
 * file, the broker's URL; no CHAIN_RPC_URL, so the RPC URL is the one the broker offers.
 */
export function runEdgeNodeClaim({
  brokerUrl,
  keystore,
  password,
  args = [],
  env = {},
}: ClaimOptions): Promise<ClaimRun> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    BROKER_URL: brokerUrl,
    EDGE_KEYSTORE: keystore,
    EDGE_KEYSTORE_PASSWORD: password,
    ...env,
  };
  if (!('CHAIN_RPC_URL' in env)) delete childEnv.CHAIN_RPC_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge-node/src/cli.ts', 'claim', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
