import type { Logger } from 'pino';
import type { StudioStore } from './studio-store.js';

export interface PlayRecorderDeps {
  store: StudioStore;
  logger: Logger;
  clock?: () => number;
}

/**
 * Turns the nodes' session reports into play time per studio title. A session counts for
 * a studio only when the node that ran it advertised the title as that studio's (so a
 * node's own manifest that happens to share an id never adds to a studio's minutes).
 * These are the nodes' reports, not yet the ledger's verified minutes.
 */
export class PlayRecorder {
  private readonly clock: () => number;

  constructor(private readonly deps: PlayRecorderDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** `studioId`: the studio the reporting node advertised the title for, if any. */
  started(sessionId: string, titleId: string, studioId: string | undefined): Promise<void> {
    if (studioId === undefined) return Promise.resolve();
    const at = this.clock();
    return this.guard('started', sessionId, async () => {
      const title = await this.deps.store.getTitle(titleId);
      if (title?.studioId !== studioId) return;
      await this.deps.store.playStarted(sessionId, titleId, at);
    });
  }

  /** Ended by the node, or with it (its lease lapsed). Unknown sessions are ignored. */
  ended(sessionId: string): Promise<void> {
    const at = this.clock();
    return this.guard('ended', sessionId, () => this.deps.store.playEnded(sessionId, at));
  }

  /** Play time is bookkeeping: a failure is logged, never passed to the node's request. */
  private async guard(what: string, sessionId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.logger.error({ error: String(error), sessionId }, `could not record a session ${what}`);
    }
  }
}
