import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
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

/** The local operator wallet's password: for this machine's own dev stack only. */
const LOCAL_KEYSTORE_PASSWORD = 'edgeplay-local-operator';

/**
 * The operator wallet the local edge node joins with, made once by `edge-node keygen`
 * (scrypt takes a second or two) and reused, so local runs keep one operator address.
 */
async function ensureLocalKeystore(): Promise<string> {
  const path = join(ROOT, '.tmp', 'keystores', 'local-operator.json');
  if (existsSync(path)) return path;
  const keygen = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'edge-node/src/cli.ts'), 'keygen', '--out', path],
    {
      cwd: ROOT,
      env: { ...process.env, EDGE_KEYSTORE_PASSWORD: LOCAL_KEYSTORE_PASSWORD },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [code] = (await once(keygen, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`edge-node keygen failed (exit ${code})`);
  return path;
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
  const keystore = await ensureLocalKeystore();
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
      EDGE_KEYSTORE: keystore,
      EDGE_KEYSTORE_PASSWORD: LOCAL_KEYSTORE_PASSWORD,
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
    // Start-up is over: a later exit is the caller's to watch (child 'exit'), not a rejection here.
    failed.catch(() => undefined);
    return { url, edgeId, broker, edge, logs, waitForLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
