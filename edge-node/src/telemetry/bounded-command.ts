import { spawn } from 'node:child_process';

export type CommandOutcome =
  /** The command ran and ended by itself; `code` is null when a signal from elsewhere ended it. */
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  /** No such program on PATH (spawn's ENOENT). */
  | { kind: 'not-found' }
  /** It ran past the limit and its process group was sent SIGKILL. */
  | { kind: 'timed-out'; pid: number | undefined }
  /** It could not be started for another reason, or it wrote more output than allowed. */
  | { kind: 'failed'; message: string };

export interface BoundedCommandOptions {
  timeoutMs: number;
  /** Output beyond this many bytes (stdout and stderr together) ends the command. */
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/** Far above nvidia-smi -q -x for a full 8-GPU box (~30 KB per GPU) or ffmpeg -encoders (~20 KB). */
const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Runs a short, one-shot command whose answer we need within a deadline, never longer.
 *
 * Why not `execFile` with `timeout`: it signals only the direct child and its callback waits
 * for stdout to close, so a wrapper script whose own child hangs (or a grandchild that still
 * holds the pipe) keeps the caller waiting past the deadline. Here the command runs in its
 * own process group, the whole group gets SIGKILL at the deadline, and the promise settles at
 * the deadline whether or not the kernel has reaped it yet — a process stuck inside a driver
 * call (uninterruptible sleep, the way nvidia-smi hangs on a wedged GPU) only dies once that
 * call returns, and we must not wait for that. Its pipes are closed and it is unref'd so it
 * cannot hold the event loop open either.
 */
export function runBoundedCommand(
  command: string,
  args: readonly string[],
  options: BoundedCommandOptions,
): Promise<CommandOutcome> {
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let settled = false;

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone. EPERM: the id now names a group that is not ours,
        // so ours is gone too (we may always signal our own children). Either way, done.
      }
    };
    const abandon = (): void => {
      killGroup();
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
    };
    const settle = (outcome: CommandOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };

    const timer = setTimeout(() => {
      abandon();
      settle({ kind: 'timed-out', pid: child.pid });
    }, options.timeoutMs);

    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > maxOutputBytes) {
        abandon();
        settle({ kind: 'failed', message: `${command} wrote more than ${maxOutputBytes} bytes of output` });
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));

    child.once('error', (error: NodeJS.ErrnoException) => {
      killGroup();
      settle(error.code === 'ENOENT' ? { kind: 'not-found' } : { kind: 'failed', message: error.message });
    });
    // 'close' (not 'exit') so that all output has been read; the timer bounds the wait.
    child.once('close', (code, signal) => {
      // Anything the command forked and left behind goes with it.
      killGroup();
      settle({
        kind: 'exited',
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}
