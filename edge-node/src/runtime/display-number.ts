import type { Readable } from 'node:stream';
import type { ManagedProcess } from './managed-process.js';

/**
 * Waits for an X server started with `-displayfd 3` to write the display number it chose
 * (a line like "1\n") to fd 3. Rejects if the server exits first (with its last stderr
 * lines, or `explain()` when that says more) or stays silent past the deadline.
 * The server picks a free number itself, which avoids races between sessions starting together.
 */
export function awaitDisplayNumber(
  proc: ManagedProcess,
  what: string,
  timeoutMs: number,
  explain: () => Promise<string> = () => Promise.resolve(proc.lastErrors),
): Promise<string> {
  const fd3 = proc.child.stdio[3] as Readable | undefined;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not report a display within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let text = '';
    fd3?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /^(\d+)\n/.exec(text);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void proc.exited.then(async () => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before it was ready: ${await explain()}`));
    });
  });
}
