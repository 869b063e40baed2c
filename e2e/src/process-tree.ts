import { readdirSync, readFileSync } from 'node:fs';

/** True while a process with this pid exists (zombies count as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface ProcessInfo {
  pid: number;
  /** The program: the base name of argv[0] (the kernel's comm is cut at 15 characters). */
  name: string;
  /** The whole command line, space-separated. */
  args: string;
}

function describeProcess(pid: string, comm: string): { name: string; args: string } {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { name: argv[0]?.split('/').pop() || comm, args: argv.join(' ') };
  } catch {
    return { name: comm, args: comm };
  }
}

/** Every living descendant of `pid`, with its program name. */
export function descendants(pid: number): ProcessInfo[] {
  const parents = new Map<number, number>();
  const names = new Map<number, { name: string; args: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), describeProcess(entry, stat.slice(stat.indexOf('(') + 1, close)));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push({ pid: child, ...(names.get(child) ?? { name: '?', args: '' }) });
        queue.push(child);
      }
    }
  }
  return found;
}
