import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DELAY_LINE = fileURLToPath(new URL('./delay-line.py', import.meta.url));

/** A node's own network namespace, joined to this one through a delay line. */
export interface DelayedNode {
  /** `ip netns` name. */
  namespace: string;
  /** The node's address inside its namespace. */
  nodeIp: string;
  /** This side's address of the link (the browser's source address towards the node). */
  hostIp: string;
  rttMs: number;
  /** Prefix that runs a command inside the namespace. */
  wrap(command: string[]): string[];
  /**
   * Caps what the node sends towards this side (its media to the browser) with a token bucket
   * (`tc tbf`) on the node's end of the link: `rateKbit`, a burst of 32 kbit and at most 100 ms
   * of queue, like a slow access link. Replaces an earlier cap.
   */
  cap(rateKbit: number): Promise<void>;
  /** Lifts the cap. */
  uncap(): Promise<void>;
}

/**
 * A small network of namespaces on this machine: each node sits behind a link with a
 * fixed round-trip delay (`tc netem` is missing from this kernel, see delay-line.py) and,
 * on demand, a bandwidth cap (`tc tbf`, which it has), and a service address on this
 * namespace's loopback that every node can reach.
 * Only root can build it; everything it makes is removed by close().
 */
export interface NetLab {
  /** An address on this namespace's `lo` that nodes reach through their links (the broker's). */
  serviceIp: string;
  addNode(rttMs: number): Promise<DelayedNode>;
  close(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what labs of processes that died without close() left behind: their namespaces
 * (`ep-<pid>-<lab><n>`) and loopback addresses (label `lo:ep<pid>`). Their delay lines died with
 * them (pdeathsig), taking the TUN devices along.
 */
async function removeStaleLabs(): Promise<void> {
  const { stdout: namespaces } = await run('ip', ['netns', 'list']);
  for (const [, name, pid] of namespaces.matchAll(/^(ep-(\d+)-[0-9a-f]+)\b/gm)) {
    if (!isAlive(Number(pid))) await ip('netns', 'del', name!);
  }
  const { stdout: addresses } = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']);
  for (const [, address, pid] of addresses.matchAll(/inet (\S+) .*\blo:ep(\d+)$/gm)) {
    if (!isAlive(Number(pid))) await ip('addr', 'del', address!, 'dev', 'lo');
  }
}

/**
 * The delay lines run under real-time scheduling where the kernel allows it: on a loaded machine a
 * normal process is scheduled tens of ms late now and then, which smears the packets of a
 * bandwidth probe over time (the estimator then measures a link far slower than it is) and adds
 * jitter no real link of that delay has.
 */
async function realtimePrefix(): Promise<string[]> {
  try {
    await run('chrt', ['--fifo', '10', 'true']);
    return ['chrt', '--fifo', '10'];
  } catch {
    return [];
  }
}

export async function createNetLab(): Promise<NetLab> {
  await removeStaleLabs();
  const realtime = await realtimePrefix();
  // A random /16 in 10.200-249 and names tagged with this process: two labs never collide.
  const net = `10.${randomInt(200, 250)}`;
  const tag = String(process.pid);
  const lab = randomInt(16, 256).toString(16);
  const serviceIp = `${net}.0.1`;
  const lines: ChildProcess[] = [];
  const namespaces: string[] = [];
  await ip('addr', 'add', `${serviceIp}/32`, 'dev', 'lo', 'label', `lo:ep${tag}`);

  const addNode = async (rttMs: number): Promise<DelayedNode> => {
    const index = namespaces.length + 1;
    const namespace = `ep-${tag}-${lab}${index}`;
    const hostIf = `eph${tag}${lab}${index}`;
    const nodeIf = `epn${tag}${lab}${index}`;
    const hostIp = `${net}.${index}.1`;
    const nodeIp = `${net}.${index}.2`;
    await ip('netns', 'add', namespace);
    namespaces.push(namespace);
    await ip('-n', namespace, 'link', 'set', 'lo', 'up');

    const oneWay = String(rttMs / 2);
    const line = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', ...realtime, 'python3', DELAY_LINE, hostIf, nodeIf, oneWay, oneWay],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    lines.push(line);
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: line.stdout! }).once('line', (text) =>
        text === 'ready' ? resolve() : reject(new Error(`delay line said: ${text}`)),
      );
      line.once('exit', (code) => reject(new Error(`delay line exited (${code}) before it was ready`)));
    });
    await ready;

    await ip('link', 'set', nodeIf, 'netns', namespace);
    await ip('addr', 'add', hostIp, 'peer', nodeIp, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', namespace, 'addr', 'add', nodeIp, 'peer', hostIp, 'dev', nodeIf);
    await ip('-n', namespace, 'link', 'set', nodeIf, 'up');
    await ip('-n', namespace, 'route', 'add', 'default', 'dev', nodeIf);
    const tc = (...args: string[]): Promise<unknown> => run('ip', ['netns', 'exec', namespace, 'tc', ...args]);
    return {
      namespace,
      nodeIp,
      hostIp,
      rttMs,
      wrap: (command) => ['ip', 'netns', 'exec', namespace, ...command],
      cap: async (rateKbit) => {
        if (!(rateKbit > 0)) throw new RangeError(`a cap needs a positive rate, got ${rateKbit}`);
        await tc(
          'qdisc',
          'replace',
          'dev',
          nodeIf,
          'root',
          'tbf',
          'rate',
          `${rateKbit}kbit`,
          'burst',
          '32kbit',
          'latency',
          '100ms',
        );
      },
      uncap: async () => {
        // Deleting the qdisc would drop what it holds, a burst of loss a freed link never shows:
        // open it wide first, let the queue drain, then remove it.
        await tc(
          'qdisc',
          'change',
          'dev',
          nodeIf,
          'root',
          'tbf',
          'rate',
          '1gbit',
          'burst',
          '1mbit',
          'latency',
          '100ms',
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tc('qdisc', 'del', 'dev', nodeIf, 'root');
      },
    };
  };

  const close = async (): Promise<void> => {
    for (const line of lines) if (line.exitCode === null && line.signalCode === null) line.kill('SIGTERM');
    await Promise.all(
      lines.map((line) => ((line.exitCode ?? line.signalCode) !== null ? undefined : once(line, 'exit'))),
    );
    for (const namespace of namespaces) await ip('netns', 'del', namespace).catch(() => undefined);
    await ip('addr', 'del', `${serviceIp}/32`, 'dev', 'lo').catch(() => undefined);
  };

  return { serviceIp, addNode, close };
}
