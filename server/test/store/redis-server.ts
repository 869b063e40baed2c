import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { freeLoopbackPort } from '../free-port.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 25;
const PORT_ATTEMPTS = 5;
const OUTPUT_TAIL_LINES = 20;

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** Stops the server; resolves once the process has exited. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** `requirepass`: clients must AUTH (the url then carries it, `redis://:<password>@…`). */
  password?: string;
}

/**
 * A real, throw-away redis-server on a free loopback port: no persistence, dies with the
 * test process (pdeathsig) even if afterAll never runs.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    try {
      return await startOnPort(await freeLoopbackPort(), options.password);
    } catch (error) {
      // Another process may have taken the port between probing and binding: try another.
      lastError = error;
      if (!String(error).includes('Address already in use')) throw error;
    }
  }
  throw lastError;
}

async function startOnPort(port: number, password: string | undefined): Promise<RedisServer> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', REDIS_SERVER, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - OUTPUT_TAIL_LINES));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    // 'close', not 'exit': it also waits for the output, which explains a failed start.
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
    await exited;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port, password))) {
    if (hasExited) throw new Error(`redis-server exited before answering PING:\n${output.join('\n')}`);
    if (Date.now() > deadline) {
      await close();
      throw new Error(`redis-server did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output.join('\n')}`);
    }
    await delay(PING_INTERVAL_MS);
  }
  // A PONG from a server that took the port first would not be ours.
  if (hasExited) throw new Error(`redis-server exited after a PING was answered:\n${output.join('\n')}`);
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return { url: `redis://${auth}127.0.0.1:${port}`, port, pid: child.pid ?? -1, close };
}

/** One inline PING (after AUTH when a password is set); true on +PONG, false on a refused or odd answer. */
function answersPing(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    // RESP arrays, so a password with spaces or quotes needs no escaping.
    const command = (...words: string[]): string =>
      `*${words.length}\r\n${words.map((word) => `$${Buffer.byteLength(word)}\r\n${word}\r\n`).join('')}`;
    socket.once('connect', () => socket.write(`${password === undefined ? '' : command('AUTH', password)}PING\r\n`));
    const expected = password === undefined ? '+PONG\r\n' : '+OK\r\n+PONG\r\n';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      const lines = answer.split('\r\n').length - 1;
      if (lines >= (password === undefined ? 1 : 2)) finish(answer.startsWith(expected));
    });
  });
}
