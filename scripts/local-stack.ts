import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface LogLine {
  service: string;
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface StackOptions {
  /** Broker port; 0 picks a free one. */
  port?: number;
  /** Title ids the edge offers (default: every manifest). */
  titles?: string[];
  maxSessions?: number;
  logLevel?: string;
  /** Folder for broker.log and edge-node.log; none: logs are kept in memory only. */
  logDir?: string;
  /** Extra environment for the edge node. */
  edgeEnv?: NodeJS.ProcessEnv;
}

export interface LocalStack {
  url: string;
  edgeId: string;
  broker: ChildProcess;
  edge: ChildProcess;
  /** Every structured log line both services wrote so far. */
  logs: LogLine[];
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

/** Runs `relativeScript` as a TypeScript entry point in its own Node process. */
function spawnService(service: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  // setpriv --pdeathsig: the service gets SIGTERM, and stops cleanly, if this launcher dies.
  const command = [
    process.execPath,
    '--import',
    'tsx',
    join(ROOT, script),
    ...(service === 'edge-node' ? ['start'] : []),
  ];
  return spawn('setpriv', ['--pdeathsig', 'TERM', '--', ...command], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts the broker and one edge node as separate processes on loopback, the way they
 * run in a deployment, and waits until the edge has joined the broker.
 */
export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const logs: LogLine[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const files: WriteStream[] = [];
  const joinToken = randomBytes(24).toString('base64url');
  const logLevel = options.logLevel ?? 'info';
  const edgeId = `edge-local-${randomBytes(3).toString('hex')}`;

  if (options.logDir) mkdirSync(options.logDir, { recursive: true });
  const collect = (service: string, child: ChildProcess): void => {
    const file = options.logDir ? createWriteStream(join(options.logDir, `${service}.log`)) : undefined;
    if (file) files.push(file);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (text) => {
        file?.write(`${text}\n`);
        let line: LogLine;
        try {
          line = { service, ...(JSON.parse(text) as Record<string, unknown>) };
        } catch {
          line = { service, msg: text };
        }
        logs.push(line);
        for (const waiter of waiters) {
          if (waiter.predicate(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      });
    }
  };

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const tail = logs.slice(-15).map((line) => `${line.service}: ${line.msg ?? ''} ${line.error ?? ''}`);
        reject(new Error(`timed out waiting for a log line; last lines:\n${tail.join('\n')}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const broker = spawnService('broker', 'server/src/main.ts', {
    PORT: String(options.port ?? 0),
    EDGE_JOIN_TOKEN: joinToken,
    LOG_LEVEL: logLevel,
  });
  collect('broker', broker);
  const children: ChildProcess[] = [broker];
  const stop = async (): Promise<void> => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(exited));
    for (const file of files) file.end();
  };

  try {
    const listening = await waitForLog((line) => line.service === 'broker' && line.msg === 'broker listening');
    const url = String(listening.url);
    const edge = spawnService('edge-node', 'edge-node/src/cli.ts', {
      EDGE_ID: edgeId,
      BROKER_URL: url,
      EDGE_JOIN_TOKEN: joinToken,
      SIGNALING_PORT: '0',
      MAX_SESSIONS: String(options.maxSessions ?? 1),
      LOG_LEVEL: logLevel,
      ...(options.titles ? { TITLES: options.titles.join(',') } : {}),
      ...options.edgeEnv,
    });
    children.push(edge);
    collect('edge-node', edge);
    const failed = Promise.race(
      children.map((child) =>
        exited(child).then(() => {
          throw new Error(
            `a service exited during start-up:\n${logs
              .slice(-10)
              .map((l) => `${l.service}: ${l.msg}`)
              .join('\n')}`,
          );
        }),
      ),
    );
    await Promise.race([
      waitForLog((line) => line.service === 'edge-node' && line.msg === 'registered with broker', 60_000),
      failed,
    ]);
    failed.catch(() => undefined);
    return { url, edgeId, broker, edge, logs, waitForLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
