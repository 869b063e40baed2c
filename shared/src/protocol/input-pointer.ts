import { z } from 'zod';
import { PageTimeSchema } from './input-key.js';

/**
 * Absolute pointer position as fractions of the video picture: 0 is its left (top) edge,
 * 1 its right (bottom) edge. The edge node scales it to the title's resolution and clamps
 * it to the screen, so a page never needs to know the game's pixels and a point off the
 * picture (a letterbox bar) lands on the nearest edge. Any finite number is accepted.
 */
export const PointerMoveSchema = z.strictObject({
  type: z.literal('move'),
  x: z.number(),
  y: z.number(),
});

/** Largest relative step in one message, in pixels (X carries deltas as 16-bit integers). */
export const MAX_POINTER_DELTA = 4096;

/** Relative pointer motion under pointer lock (`movementX/Y`, screen pixels). */
export const PointerDeltaSchema = z.strictObject({
  type: z.literal('move-rel'),
  dx: z.int().min(-MAX_POINTER_DELTA).max(MAX_POINTER_DELTA),
  dy: z.int().min(-MAX_POINTER_DELTA).max(MAX_POINTER_DELTA),
});

/**
 * A mouse button in `MouseEvent.button` numbering: 0 main (left), 1 auxiliary (middle),
 * 2 secondary (right); X buttons 1, 2 and 3.
 */
export const MouseButtonSchema = z.strictObject({
  type: z.literal('button'),
  button: z.int().min(0).max(2),
  down: z.boolean(),
  t: PageTimeSchema.optional(),
});

/** Most wheel notches one message may carry on each axis. */
export const MAX_WHEEL_NOTCHES = 10;

/**
 * Wheel notches since the last message; positive is down (`dy`) or right (`dx`), as in
 * `WheelEvent`. X has no wheel: each notch is a click of button 4/5 (up/down) or 6/7
 * (left/right).
 */
export const WheelSchema = z.strictObject({
  type: z.literal('wheel'),
  dx: z.int().min(-MAX_WHEEL_NOTCHES).max(MAX_WHEEL_NOTCHES),
  dy: z.int().min(-MAX_WHEEL_NOTCHES).max(MAX_WHEEL_NOTCHES),
});

export type PointerMove = z.infer<typeof PointerMoveSchema>;
export type PointerDelta = z.infer<typeof PointerDeltaSchema>;
export type MouseButton = z.infer<typeof MouseButtonSchema>;
export type Wheel = z.infer<typeof WheelSchema>;
