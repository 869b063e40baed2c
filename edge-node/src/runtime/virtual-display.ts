import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ManagedProcess } from './managed-process.js';

export interface VirtualDisplayOptions {
  width: number;
  height: number;
  logger: Logger;
  startTimeoutMs?: number;
}

/**
 * A private X display (Xvfb) sized to the title. Xvfb picks a free display number
 * itself (-displayfd), which avoids races between sessions starting together.
 * -noreset keeps the server up when the last client disconnects (SDL games reconnect).
 */
export class VirtualDisplay {
  private constructor(
    readonly process: ManagedProcess,
    readonly display: string,
    readonly width: number,
    readonly height: number,
  ) {}

  static async start(options: VirtualDisplayOptions): Promise<VirtualDisplay> {
    const { width, height, logger } = options;
    const proc = new ManagedProcess({
      name: 'xvfb',
      command: 'Xvfb',
      args: ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-noreset', '-nolisten', 'tcp', '-ac'],
      logger,
      extraStdio: ['pipe'],
    });
    const fd3 = proc.child.stdio[3] as Readable | undefined;
    try {
      const number = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('Xvfb did not report a display in time')),
          options.startTimeoutMs ?? 10_000,
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
        void proc.exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`Xvfb exited before it was ready: ${proc.lastErrors}`));
        });
      });
      return new VirtualDisplay(proc, `:${number}`, width, height);
    } catch (error) {
      await proc.close();
      throw error;
    }
  }

  close(): Promise<unknown> {
    return this.process.close();
  }
}
