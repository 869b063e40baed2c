import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

/**
 * A real redis-server that persists every write before answering it (AOF,
 * `appendfsync always`) in a folder of its own, and can be killed with SIGKILL and
 * started again on the same folder and port — what a crash and a restart look like.
 */
export interface DurableRedis {
  url: string;
  dir: string;
  /** SIGKILL: no shutdown, no final save. Resolves once the process is gone. */
  crash(): Promise<void>;
  /** Starts redis-server again on the same folder and port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startDurableRedis(): Promise<DurableRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-aof-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child = await launch(dir, port);
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.kill(signal);
    await gone;
  };
  return {
    url,
    dir,
    crash: () => stop('SIGKILL'),
    async restart() {
      child = await launch(dir, port);
    },
    async close() {
      await stop('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(dir: string, port: number): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
  ];
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', '/usr/bin/redis-server', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      // Loading the AOF answers LOADING until done: wait for a real PONG.
      if ((await probe.ping()) === 'PONG') return child;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${port}: ${stderr}`);
    }
    await delay(25);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
