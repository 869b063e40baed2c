/** How long the page keeps trying to get a dropped session back (the edge holds it 10 s). */
export const RECONNECT_WINDOW_MS = 10_000;

const FIRST_DELAY_MS = 250;
const LONGEST_DELAY_MS = 2000;

/**
 * When to try again after a dropped connection: doubling waits from 250 ms up to 2 s,
 * never past the end of the window. `nextDelay` answers undefined once the window is over.
 */
export class ReconnectSchedule {
  private readonly deadline: number;
  private delay = FIRST_DELAY_MS;

  constructor(
    startedAt: number,
    readonly windowMs: number = RECONNECT_WINDOW_MS,
  ) {
    this.deadline = startedAt + windowMs;
  }

  /** Milliseconds left in the window at `now` (0 when it is over). */
  remaining(now: number): number {
    return Math.max(0, this.deadline - now);
  }

  nextDelay(now: number): number | undefined {
    const left = this.remaining(now);
    if (left === 0) return undefined;
    const wait = Math.min(this.delay, left);
    this.delay = Math.min(this.delay * 2, LONGEST_DELAY_MS);
    return wait;
  }
}
