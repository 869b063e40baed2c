import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ErrorCode, makeError } from '@edgeplay/shared';

const READY_TIMEOUT_MS = 15_000;
const KILL_AFTER_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;
const LISTENING = /Listening on 127\.0\.0\.1:(\d+)/;

export interface AnvilOptions {
  /** Default 31337, what the broker's CHAIN_ID defaults to. */
  chainId?: number;
  /** Dev accounts to fund (anvil's mnemonic, unlocked), default 10. */
  accounts?: number;
}

export interface Anvil {
  url: string;
  port: number;
  pid: number;
  chainId: number;
  /** Stops anvil; resolves once the process has exited. */
  close(): Promise<void>;
}

/**
 * Where the anvil binary is: ANVIL_BIN, else inside the npm package for this platform
 * (`@foundry-rs/anvil-linux-amd64` here). The `@foundry-rs/anvil` wrapper only finds it with
 * an install script, which npm 11 does not run, so the binary is located directly.
 */
export function anvilBinary(): string {
  const fromEnv = process.env.ANVIL_BIN;
  if (fromEnv) return fromEnv;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
  const name = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`;
  try {
    const binary = join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), 'bin', 'anvil');
    if (existsSync(binary)) return binary;
  } catch {
    // not installed: reported below
  }
  throw makeError(ErrorCode.INTERNAL, `anvil not found: install ${name} (npm install) or set ANVIL_BIN`);
}

/**
 * A real, throw-away anvil on a loopback port it picks itself (`--port 0`, read back from its
 * output, so no other process can take the port in between); dies with this process
 * (pdeathsig) even when close() is never called. Mines each transaction as it arrives.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)];
  args.push('--accounts', String(options.accounts ?? 10));
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', anvilBinary(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let port: number | undefined;
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      const listening = LISTENING.exec(line);
      if (listening) port = Number(listening[1]);
    }
    output.splice(0, Math.max(0, output.length - OUTPUT_TAIL_LINES));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (error) => {
      output.push(String(error)); // spawn failed: there is no process to wait for
      resolve();
    });
  }).then(() => {
    hasExited = true;
  });

  const close = async (): Promise<void> => {
    if (!hasExited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (port === undefined || !(await answersChainId(port, chainId))) {
    if (hasExited) throw new Error(`anvil exited before it was ready:\n${output.join('\n')}`);
    if (Date.now() > deadline) {
      await close();
      throw new Error(`anvil was not ready within ${READY_TIMEOUT_MS} ms:\n${output.join('\n')}`);
    }
    await delay(20);
  }
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid ?? -1, chainId, close };
}

async function answersChainId(port: number, chainId: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result !== undefined && Number(body.result) === chainId;
  } catch {
    return false;
  }
}
