import { once } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManagedProcess } from '../src/runtime/managed-process.js';
import { descendants, isAlive, type ProcessInfo } from '../../e2e/src/process-tree.js';

const logger = pino({ level: 'silent' });

describe('ManagedProcess', () => {
  it('close() resolves only after the process and everything it forked are gone', async () => {
    const proc = new ManagedProcess({
      name: 'tree',
      command: 'bash',
      args: ['-c', 'sleep 300 & sleep 300 & wait'],
      logger,
    });
    const pid = proc.pid ?? -1;
    // setpriv execs bash, which forks the two sleeps.
    let children: ProcessInfo[] = [];
    for (let i = 0; i < 50 && children.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      children = descendants(pid);
    }
    expect(children.map((child) => child.name)).toEqual(['sleep', 'sleep']);
    await proc.close();
    expect(isAlive(pid)).toBe(false);
    for (const child of children) expect(isAlive(child.pid)).toBe(false);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const proc = new ManagedProcess({
      name: 'stubborn',
      command: 'bash',
      args: ['-c', 'trap "" TERM; while true; do sleep 0.05; done'],
      logger,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exit = await proc.close(200);
    expect(exit.signal).toBe('SIGKILL');
    expect(isAlive(proc.pid ?? -1)).toBe(false);
  });

  it('emits died with the exit when the process ends on its own, and not after close()', async () => {
    const dying = new ManagedProcess({ name: 'dies', command: 'bash', args: ['-c', 'echo oops >&2; exit 3'], logger });
    const [exit] = await once(dying, 'died');
    expect(exit).toEqual({ code: 3, signal: null });
    expect(dying.lastErrors).toContain('oops');

    const closed = new ManagedProcess({ name: 'closed', command: 'sleep', args: ['300'], logger });
    let died = false;
    closed.on('died', () => (died = true));
    await closed.close();
    expect(died).toBe(false);
  });

  it('reports a command that does not exist as a death, not a crash of the node', async () => {
    const proc = new ManagedProcess({ name: 'missing', command: 'no-such-program-edgeplay', args: [], logger });
    const [exit] = await once(proc, 'died');
    expect(exit.code).not.toBe(0);
  });
});
