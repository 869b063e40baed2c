import { MAX_WHEEL_NOTCHES } from '@edgeplay/shared';

export interface ScreenSize {
  width: number;
  height: number;
}

/**
 * The screen pixel under a point given as fractions of the video picture, clamped to the
 * screen: a page's point off the picture (a letterbox bar, a rounding error, a hostile
 * 1e300) lands on the nearest edge pixel instead of outside the display.
 */
export function toScreenPoint(x: number, y: number, screen: ScreenSize): { x: number; y: number } {
  const pixel = (fraction: number, size: number): number =>
    Math.min(size - 1, Math.max(0, Math.floor((Number.isNaN(fraction) ? 0 : fraction) * size)));
  return { x: pixel(x, screen.width), y: pixel(y, screen.height) };
}

/** X core buttons for the wheel: there is no wheel event, each notch is a click. */
export const X_WHEEL = { up: 4, down: 5, left: 6, right: 7 } as const;

/** The X button clicks for a wheel message, vertical first (at most MAX_WHEEL_NOTCHES per axis). */
export function wheelClicks(dx: number, dy: number): number[] {
  const clicks = (count: number, negative: number, positive: number): number[] =>
    new Array<number>(Math.min(MAX_WHEEL_NOTCHES, Math.abs(Math.trunc(count)))).fill(count < 0 ? negative : positive);
  return [...clicks(dy, X_WHEEL.up, X_WHEEL.down), ...clicks(dx, X_WHEEL.left, X_WHEEL.right)];
}

/** `MouseEvent.button` (0 main, 1 middle, 2 secondary) → X core button (1 left, 2 middle, 3 right). */
export function xButtonFor(domButton: number): number | undefined {
  return [1, 2, 3][domButton];
}
