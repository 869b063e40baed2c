import type { Logger } from 'pino';
import { awaitDisplayNumber } from './display-number.js';
import { ManagedProcess } from './managed-process.js';

export interface VirtualDisplayOptions {
  width: number;
  height: number;
  logger: Logger;
  startTimeoutMs?: number;
}

/**
 * A private X display (Xvfb) sized to the title, rendered in software. Xvfb picks a free
 * display number itself (-displayfd), which avoids races between sessions starting together.
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
    try {
      const number = await awaitDisplayNumber(proc, 'Xvfb', options.startTimeoutMs ?? 10_000);
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
