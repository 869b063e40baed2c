import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BROKER_NODE_FLAGS } from '../server/src/node-flags.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface LogLine {
  service: string;
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface BrokerOptions {
  /** Broker port; 0 picks a free one. */
  port?: number;
  /** Address the broker listens on (default loopback). */
  host?: string;
  logLevel?: string;
  /** Folder for <service>.log files; none: logs are kept in memory only. */
  logDir?: string;
  /** Extra environment for the broker (e.g. REDIS_URL, ADMIN_TOKEN, a local chain's CHAIN_RPC_URL and addresses). */
  brokerEnv?: NodeJS.ProcessEnv;
}

export interface EdgeOptions {
  /** Name in logs and of the log file (default `edge-node`). */
  service?: string;
  /** Title ids the edge offers (default: every manifest). */
  titles?: string[];
  maxSessions?: number;
  /** Extra environment for the edge node. */
  env?: NodeJS.ProcessEnv;
  /** Runs the edge through a prefix, e.g. inside a network namespace (`ip netns exec …`). */
  wrap?: (command: string[]) => string[];
}

export interface StackOptions extends BrokerOptions {
  titles?: string[];
  maxSessions?: number;
  edgeEnv?: NodeJS.ProcessEnv;
}

export interface RunningEdge {
  edgeId: string;
  service: string;
  process: ChildProcess;
}

export interface BrokerStack {
  url: string;
  broker: ChildProcess;
  /** Every structured log line the services wrote so far. */
  logs: LogLine[];
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Starts one more edge node and waits until it has joined the broker. */
  addEdge(options?: EdgeOptions): Promise<RunningEdge>;
  /** Stops every service this stack started. */
  stop(): Promise<void>;
}

export interface LocalStack extends BrokerStack {
  edgeId: string;
  edge: ChildProcess;
}

/** The local operator wallet's password: for this machine's own dev stack only. */
export const LOCAL_KEYSTORE_PASSWORD = 'edgeplay-local-operator';
/** Where the local operator wallet is kept (made on first use). */
export const LOCAL_KEYSTORE_PATH = join(ROOT, '.tmp', 'keystores', 'local-operator.json');

/**
 * The operator wallet the local edge node joins with, made once by `edge-node keygen`
 * (scrypt takes a second or two) and reused, so local runs keep one operator address.
 */
async function ensureLocalKeystore(): Promise<string> {
  const path = LOCAL_KEYSTORE_PATH;
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

/** Runs `script` (relative to the repository) as a TypeScript entry point in its own Node process. */
function spawnService(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  wrap: (command: string[]) => string[] = (command) => command,
  nodeFlags: readonly string[] = [],
): ChildProcess {
  // setpriv --pdeathsig: the service gets SIGTERM, and stops cleanly, if this launcher dies.
  const command = [process.execPath, ...nodeFlags, '--import', 'tsx', join(ROOT, script), ...args];
  return spawn('setpriv', ['--pdeathsig', 'TERM', '--', ...wrap(command)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the broker as its own process, the way it runs in a deployment; edges join with addEdge. */
export async function startBroker(options: BrokerOptions = {}): Promise<BrokerStack> {
  const logs: LogLine[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const files: WriteStream[] = [];
  const logLevel = options.logLevel ?? 'info';

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
          line = { ...(JSON.parse(text) as Record<string, unknown>), service };
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

  const broker = spawnService(
    'server/src/main.ts',
    [],
    {
      PORT: String(options.port ?? 0),
      HOST: options.host ?? '127.0.0.1',
      LOG_LEVEL: logLevel,
      ...options.brokerEnv,
    },
    undefined,
    BROKER_NODE_FLAGS,
  );
  collect('broker', broker);
  const children: ChildProcess[] = [broker];
  const stop = async (): Promise<void> => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(exited));
    for (const file of files) file.end();
  };

  /** Rejects as soon as one of `watched` exits, naming the last log lines. */
  const exitDuring = (watched: ChildProcess[]): Promise<never> =>
    Promise.race(
      watched.map((child) =>
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

  let url: string;
  try {
    const listening = await Promise.race([
      waitForLog((line) => line.service === 'broker' && line.msg === 'broker listening'),
      exitDuring([broker]),
    ]);
    url = String(listening.url);
  } catch (error) {
    await stop();
    throw error;
  }

  const addEdge = async (edgeOptions: EdgeOptions = {}): Promise<RunningEdge> => {
    const keystore = await ensureLocalKeystore();
    const service = edgeOptions.service ?? 'edge-node';
    const edgeId = `edge-local-${randomBytes(3).toString('hex')}`;
    const edge = spawnService(
      'edge-node/src/cli.ts',
      ['start'],
      {
        EDGE_ID: edgeId,
        BROKER_URL: url,
        EDGE_KEYSTORE: keystore,
        EDGE_KEYSTORE_PASSWORD: LOCAL_KEYSTORE_PASSWORD,
        SIGNALING_PORT: '0',
        MAX_SESSIONS: String(edgeOptions.maxSessions ?? 1),
        // Usage receipts wait here for the broker's acknowledgement (one file per edge id).
        RECEIPT_JOURNAL_DIR: join(ROOT, '.tmp', 'receipts'),
        LOG_LEVEL: logLevel,
        ...(edgeOptions.titles ? { TITLES: edgeOptions.titles.join(',') } : {}),
        ...edgeOptions.env,
      },
      edgeOptions.wrap,
    );
    children.push(edge);
    collect(service, edge);
    const failed = exitDuring([broker, edge]);
    await Promise.race([
      waitForLog((line) => line.service === service && line.msg === 'registered with broker', 60_000),
      failed,
    ]);
    // Start-up is over: a later exit is the caller's to watch (child 'exit'), not a rejection here.
    failed.catch(() => undefined);
    return { edgeId, service, process: edge };
  };

  return { url, broker, logs, waitForLog, addEdge, stop };
}

/**
 * Starts the broker and one edge node as separate processes on loopback, the way they
 * run in a deployment, and waits until the edge has joined the broker.
 */
export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const stack = await startBroker(options);
  try {
    const edge = await stack.addEdge({
      ...(options.titles ? { titles: options.titles } : {}),
      ...(options.maxSessions ? { maxSessions: options.maxSessions } : {}),
      ...(options.edgeEnv ? { env: options.edgeEnv } : {}),
    });
    return { ...stack, edgeId: edge.edgeId, edge: edge.process };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
