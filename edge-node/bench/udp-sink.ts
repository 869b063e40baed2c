import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/*
 * Where the benchmark's spectator consumers send their packets: real UDP sockets on
 * loopback that never read. Each has a tiny receive buffer, so after its first few
 * packets the kernel counts every further packet it receives as a drop of that socket
 * (/proc/net/udp, last column). That count is exact and costs no user-space CPU, which on
 * a 2-core machine leaves the cores to the SFU being measured. Sockets are held by a small
 * Python process (Node cannot bind a UDP socket without reading it).
 */

const SINK_SCRIPT = `
import resource, socket, sys
n = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
sockets = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(('127.0.0.1', 0))
    sockets.append(s)
print(' '.join(str(s.getsockname()[1]) for s in sockets), flush=True)
sys.stdin.read()
`;

export interface UdpSink {
  /** The loopback ports, one socket each. */
  ports: number[];
  /** Packets each port has received so far (kernel drop counter; the few queued ones are not counted). */
  counts(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** Drops counted so far by the kernel for the sockets bound on loopback `ports` (/proc/net/udp). */
export async function loopbackUdpDrops(ports: Iterable<number>): Promise<Map<number, number>> {
  const wanted = new Set(ports);
  const table = await readFile('/proc/net/udp', 'utf8');
  const counts = new Map<number, number>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const drops = fields[12];
    if (!local || drops === undefined || !local.startsWith('0100007F:')) continue;
    const port = Number.parseInt(local.slice(9), 16);
    if (wanted.has(port)) counts.set(port, Number(drops));
  }
  return counts;
}

export async function startUdpSink(size: number): Promise<UdpSink> {
  const child: ChildProcess = spawn('python3', ['-c', SINK_SCRIPT, String(size)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    if (!child.stdout) return reject(new Error('no stdout'));
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`udp sink exited (code ${code})`)));
  });
  const ports = (await firstLine).split(' ').map(Number);
  return {
    ports,
    counts: () => loopbackUdpDrops(ports),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin?.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
