import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChallenge, exportPublicKey, generateTicketKeyPair } from '@edgeplay/shared/node';
import { createKeystore } from '../src/identity/keystore.js';
import { printStartProgress } from '../src/progress/start-progress.js';

describe('start-up progress lines', () => {
  it('says what it is doing, what it found and how long it took, one whole line per event', () => {
    let text = '';
    let clock = 0;
    const printer = printStartProgress(
      { write: (chunk: string) => (text += chunk) },
      'https://broker.example',
      () => clock,
    );
    printer.progress({ step: 'machine', state: 'begin' });
    clock = 1234;
    printer.progress({
      step: 'machine',
      state: 'done',
      detail: 'cpu; renders in software (Xvfb), encodes with x264 on the CPU',
    });
    printer.progress({ step: 'broker', state: 'begin' });
    clock = 2000;
    printer.progress({ step: 'broker', state: 'done', detail: 'joined as edge-1' });
    expect(text.split('\n')).toEqual([
      '[3/6] Probing this machine (GPU, encoders, display)…',
      '[3/6] Machine: cpu; renders in software (Xvfb), encodes with x264 on the CPU (1.2 s)',
      '[6/6] Joining the broker at https://broker.example…',
      '[6/6] Broker: joined as edge-1 (0.8 s)',
      'Ready: this node is serving players. Ctrl+C stops it.',
      '',
    ]);
  });

  it('names the step that failed', () => {
    let text = '';
    const printer = printStartProgress({ write: (chunk: string) => (text += chunk) }, 'http://b');
    printer.progress({ step: 'wallet', state: 'begin' });
    printer.failed(new Error('wrong password for keystore /k.json'));
    expect(text).toBe(
      '[1/6] Unlocking the operator wallet…\n[1/6] Unlocking the operator wallet FAILED: wrong password for keystore /k.json\n',
    );
  });
});

/** Stands in for the broker's /edge namespace: accepts any edge. */
async function startBrokerStandIn(): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'] });
  const keys = generateTicketKeyPair();
  server.of('/edge').on('connection', (socket) => {
    socket.on('edge:challenge', (_payload: unknown, ack: (answer: unknown) => void) =>
      ack({ ok: true, challenge: createChallenge(), chainId: 31337 }),
    );
    socket.on('edge:register', (_payload: unknown, ack: (answer: unknown) => void) =>
      ack({ ok: true, brokerPublicKey: exportPublicKey(keys.publicKey), leaseMs: 10_000 }),
    );
    socket.on('edge:heartbeat', (_payload: unknown, ack: (answer: unknown) => void) => ack({ ok: true }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Collects a child's output until every one of `done` matches it (or the deadline passes).
 * The progress lines and the JSON log are written by different streams, so the order in
 * which they reach the terminal is not fixed: wait for each, not for the one expected last.
 */
async function outputUntil(
  child: ChildProcess,
  done: RegExp[],
  timeoutMs = 60_000,
): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${done.map(String).join(' and ')} in time; got:\n${out.stdout}\n${out.stderr}`)),
      timeoutMs,
    );
    const check = (): void => {
      if (done.every((pattern) => pattern.test(out.stdout))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      out.stdout += chunk.toString();
      check();
    });
    child.stderr?.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`exited early:\n${out.stdout}\n${out.stderr}`));
    });
  });
  return out;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-(child.pid ?? 0), 'SIGTERM');
  await exited;
}

describe('edge-node start at a terminal and under a supervisor', () => {
  let broker: Awaited<ReturnType<typeof startBrokerStandIn>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    broker = await startBrokerStandIn();
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-start-progress-'));
    await createKeystore(join(dir, 'operator.json'), 'progress-test-password', { scryptN: 2 ** 10 });
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      EDGE_ID: 'edge-progress-test',
      BROKER_URL: broker.url,
      EDGE_KEYSTORE: join(dir, 'operator.json'),
      EDGE_KEYSTORE_PASSWORD: 'progress-test-password',
      SIGNALING_PORT: '0',
      TITLES: 'latency-probe',
    };
  });
  afterAll(async () => {
    await Promise.all(children.map(stop));
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows each step and "Ready" to a person at a terminal, beside the JSON log', async () => {
    // `script` gives the node a real pseudo-terminal; it prints what the terminal shows.
    const command = [process.execPath, '--import', 'tsx', cli, 'start'].map((arg) => `'${arg}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    const { stdout } = await outputUntil(child, [
      /Ready: this node is serving players/,
      /"msg":"registered with broker"/,
    ]);
    const lines = stdout.split(/\r?\n/).filter((line) => /^\[\d\/6\]/.test(line));
    expect(lines.map((line) => line.replace(/\(\d+\.\d s\)$/, '(…)'))).toEqual([
      '[1/6] Unlocking the operator wallet…',
      expect.stringMatching(/^\[1\/6\] Operator wallet: 0x[0-9a-fA-F]{40} \(…\)$/) as unknown as string,
      '[2/6] Loading titles…',
      '[2/6] Titles: latency-probe (…)',
      '[3/6] Probing this machine (GPU, encoders, display)…',
      '[3/6] Machine: cpu; renders in software (Xvfb), encodes with x264 on the CPU (…)',
      '[4/6] Starting the SFU (mediasoup worker)…',
      expect.stringMatching(/^\[4\/6\] SFU: mediasoup worker pid \d+ \(…\)$/) as unknown as string,
      '[5/6] Opening the player port…',
      expect.stringMatching(/^\[5\/6\] Player port: http:\/\/127\.0\.0\.1:\d+ \(…\)$/) as unknown as string,
      `[6/6] Joining the broker at ${broker.url}…`,
      '[6/6] Broker: joined as edge-progress-test (…)',
    ]);
    // The structured log is still there for machines.
    expect(stdout).toMatch(/"msg":"registered with broker"/);
    await stop(child);
  }, 90_000);

  it('prints no progress lines when stderr is not a terminal: the JSON log alone is the record', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start'], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const { stderr } = await outputUntil(child, [/"msg":"registered with broker"/]);
    expect(stderr).toBe('');
    await stop(child);
  }, 90_000);
});
