import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ManagedProcess } from './managed-process.js';
import type { RenderGpu, RenderPath, RenderPlan } from './render-path.js';
import { VirtualDisplay } from './virtual-display.js';
import { XorgDisplay } from './xorg-display.js';

/** What a session needs of its display, whichever server draws it. */
export interface SessionDisplay {
  /** The X display name, e.g. ":3". */
  readonly display: string;
  readonly process: ManagedProcess;
  readonly renderPath: RenderPath;
  /** Resolves when the server process is gone. */
  close(): Promise<unknown>;
}

export interface SessionDisplayOptions {
  sessionId: string;
  width: number;
  height: number;
  logger: Logger;
}

function asSessionDisplay(
  server: { display: string; process: ManagedProcess; close(): Promise<unknown> },
  renderPath: RenderPath,
): SessionDisplay {
  return { display: server.display, process: server.process, renderPath, close: () => server.close() };
}

/**
 * Spreads sessions over the GPUs without shared state: the session id picks one. Ids are
 * random, so on a box with several GPUs sessions land on each about equally often.
 */
export function gpuForSession(gpus: readonly RenderGpu[], sessionId: string): RenderGpu | undefined {
  if (gpus.length === 0) return undefined;
  const hash = createHash('sha256').update(sessionId).digest().readUInt32BE(0);
  return gpus[hash % gpus.length];
}

/**
 * The session's display as the plan says: Xorg on a GPU, or Xvfb. When Xorg fails to start
 * the session still gets a picture, rendered in software, and the log says why; the player
 * is served and the operator is told, rather than the player being turned away.
 */
export async function startSessionDisplay(
  plan: RenderPlan | undefined,
  options: SessionDisplayOptions,
): Promise<SessionDisplay> {
  const { width, height, logger } = options;
  const gpu = plan?.renderPath === 'xorg-nvidia' ? gpuForSession(plan.gpus, options.sessionId) : undefined;
  if (plan?.renderPath === 'xorg-nvidia' && gpu !== undefined) {
    try {
      const xorg = await XorgDisplay.start({
        width,
        height,
        device: { driver: 'nvidia', busId: gpu.busId },
        modulePaths: plan.modulePaths,
        command: plan.xorg,
        logger,
      });
      return asSessionDisplay(xorg, 'xorg-nvidia');
    } catch (error) {
      logger.warn(
        { busId: gpu.busId, error: (error as Error).message },
        'Xorg failed to start on the GPU: this session renders in software (Xvfb)',
      );
    }
  }
  return asSessionDisplay(await VirtualDisplay.start({ width, height, logger }), 'xvfb');
}
