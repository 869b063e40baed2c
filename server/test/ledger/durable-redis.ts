import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../free-port.js';

/**
 * How the append-only file reaches the disk: `always` fsyncs each write before answering
 * it; `everysec` (what deploy/redis/Dockerfile ships) writes each command to the file
 * before answering it and fsyncs once a second, so a killed redis-server loses nothing it
 * acknowledged, and only a crash of the whole machine could lose the last second.
 */
export type AppendFsync = 'always' | 'everysec';

/**
 * A real redis-server with AOF on (`appendfsync` as asked, `always` by default) in a
 * folder of its own, that can be killed with SIGKILL and started again on the same folder
 * and port — what a crash and a restart look like.
 */
export interface DurableRedis {
  url: string;
  dir: string;
  appendfsync: AppendFsync;
  /** Pid of the running redis-server (a new one after restart). */
  pid(): number;
  /** SIGKILL: no shutdown, no final save. Resolves once the process is gone. */
  crash(): Promise<void>;
  /** Starts redis-server again on the same folder and port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startDurableRedis(appendfsync: AppendFsync = 'always'): Promise<DurableRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-aof-'));
  const port = await freeLoopbackPort();
  const url = `redis://127.0.0.1:${port}`;
  let child = await launch(dir, port, appendfsync);
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.kill(signal);
    await gone;
  };
  return {
    url,
    dir,
    appendfsync,
    pid: () => child.pid ?? -1,
    crash: () => stop('SIGKILL'),
    async restart() {
      child = await launch(dir, port, appendfsync);
    },
    async close() {
      await stop('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(dir: string, port: number, appendfsync: AppendFsync): Promise<ChildProcess> {
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
    appendfsync,
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

/** One key's type and whole value, as read back (sets and hashes in a stable order). */
export type StoredValue = { type: string; value: unknown };

/**
 * Every key under `prefix` with its type and whole value: what a restarted server must
 * give back entry for entry. TTLs are left out (the ledger sets none).
 */
export async function snapshotKeys(url: string, prefix: string): Promise<Record<string, StoredValue>> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    const out: Record<string, StoredValue> = {};
    for (const key of keys.sort()) {
      const type = await redis.type(key);
      out[key] = { type, value: await readValue(redis, key, type) };
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

async function readValue(redis: Redis, key: string, type: string): Promise<unknown> {
  switch (type) {
    case 'string':
      return redis.get(key);
    case 'hash':
      return Object.entries(await redis.hgetall(key)).sort(([a], [b]) => a.localeCompare(b));
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return (await redis.smembers(key)).sort();
    case 'zset':
      return redis.zrange(key, 0, -1, 'WITHSCORES');
    case 'stream':
      return redis.xrange(key, '-', '+');
    default:
      throw new Error(`key ${key} has a type this snapshot does not read: ${type}`);
  }
}
