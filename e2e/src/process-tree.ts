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

/** The program a process runs: the base name of its argv[0] (comm is cut at 15 characters). */
function programName(pid: string, comm: string): string {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0.split('/').pop() || comm;
  } catch {
    return comm;
  }
}

/** Every living descendant of `pid`, with its program name. */
export function descendants(pid: number): { pid: number; comm: string }[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), programName(entry, stat.slice(stat.indexOf('(') + 1, close)));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: { pid: number; comm: string }[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push({ pid: child, comm: names.get(child) ?? '?' });
        queue.push(child);
      }
    }
  }
  return found;
}
