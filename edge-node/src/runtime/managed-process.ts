import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  /** Short name for logs, e.g. "xvfb", "encoder". */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logger: Logger;
  /** Extra stdio slots beyond stdin/stdout/stderr (Xvfb's -displayfd uses fd 3). */
  extraStdio?: ('pipe' | 'ignore')[];
  /** 'pipe' to send the process commands on its stdin (default: none). */
  stdin?: 'pipe' | 'ignore';
}

interface ManagedProcessEvents {
  /** The process ended without close() being called. */
  died: [exit: ProcessExit];
}

/** Lines of stderr kept to explain a death. */
const STDERR_TAIL_LINES = 20;

/**
 * A child process with an explicit lifecycle. It runs in its own process group so that
 * close() also reaches anything it forked, and under `setpriv --pdeathsig KILL` so that
 * it dies with the edge node even when the node is killed with SIGKILL.
 *
 * close() resolves only once the process has really exited.
 */
export class ManagedProcess extends EventEmitter<ManagedProcessEvents> {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  private closing = false;
  private exitInfo: ProcessExit | undefined;
  private readonly stderrTail: string[] = [];

  constructor(private readonly options: ManagedProcessOptions) {
    super();
    this.name = options.name;
    const stdio: StdioOptions = [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.extraStdio ?? [])];
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', options.command, ...options.args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio,
      detached: true,
    });
    const log = options.logger.child({ process: options.name });
    this.child.stdout?.on('data', (chunk: Buffer) => log.debug({ out: chunk.toString().trimEnd() }, 'stdout'));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line.trim()) this.stderrTail.push(line);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
      log.debug({ err: text.trimEnd() }, 'stderr');
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        log.error({ error: error.message }, 'failed to start');
        this.finish({ code: null, signal: null }, resolve);
      });
      this.child.once('exit', (code, signal) => this.finish({ code, signal }, resolve));
    });
    log.info({ pid: this.child.pid, command: options.command }, 'started');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines the process wrote to stderr, to explain a failure. */
  get lastErrors(): string {
    return this.stderrTail.join('\n');
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves when it has exited. */
  async close(graceMs = 2000): Promise<ProcessExit> {
    this.closing = true;
    if (this.exitInfo) {
      this.killGroup('SIGKILL');
      return this.exitInfo;
    }
    this.killGroup('SIGTERM');
    const timer = setTimeout(() => this.killGroup('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      // Anything the process forked into its group and left behind goes too.
      this.killGroup('SIGKILL');
      await this.groupGone();
    }
  }

  /**
   * Waits until no process of the group is left. The kernel offers no way to await a
   * process group, so this polls (kill with signal 0) for a bounded time.
   */
  private async groupGone(timeoutMs = 3000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        process.kill(-pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.options.logger.warn({ process: this.name, pgid: pid }, 'process group still present after close');
  }

  private finish(exit: ProcessExit, resolve: (exit: ProcessExit) => void): void {
    if (this.exitInfo) return;
    this.exitInfo = exit;
    const log = this.options.logger.child({ process: this.name });
    if (this.closing) {
      log.info(exit, 'stopped');
    } else {
      log.warn({ ...exit, stderr: this.lastErrors }, 'died');
      this.emit('died', exit);
    }
    resolve(exit);
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
