import { MAX_WHEEL_NOTCHES } from '@edgeplay/shared';

/** WheelEvent.deltaMode values. */
const DOM_DELTA_PIXEL = 0;
const DOM_DELTA_LINE = 1;

/** How much scrolling makes one notch (one click of X's wheel buttons), per delta mode. */
const PER_NOTCH = { pixel: 100, line: 3, page: 1 } as const;

/**
 * Turns wheel deltas (pixels from a mouse or touchpad, lines in some browsers) into whole
 * notches, carrying the remainder so slow touchpad scrolling still adds up. A change of
 * direction starts afresh.
 */
export class WheelNotches {
  private x = 0;
  private y = 0;

  /** The notches this event completes, or undefined when it completes none. */
  add(deltaX: number, deltaY: number, deltaMode: number): { dx: number; dy: number } | undefined {
    const per =
      deltaMode === DOM_DELTA_PIXEL ? PER_NOTCH.pixel : deltaMode === DOM_DELTA_LINE ? PER_NOTCH.line : PER_NOTCH.page;
    this.x = Math.sign(this.x) === -Math.sign(deltaX) ? deltaX / per : this.x + deltaX / per;
    this.y = Math.sign(this.y) === -Math.sign(deltaY) ? deltaY / per : this.y + deltaY / per;
    const dx = Math.trunc(this.x);
    const dy = Math.trunc(this.y);
    if (dx === 0 && dy === 0) return undefined;
    this.x -= dx;
    this.y -= dy;
    const limit = (n: number): number => Math.max(-MAX_WHEEL_NOTCHES, Math.min(MAX_WHEEL_NOTCHES, n));
    return { dx: limit(dx), dy: limit(dy) };
  }
}
