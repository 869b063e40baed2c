import { z } from 'zod';
import { KeyCodeSchema } from './input-key.js';

/** Pads a page may report (`Gamepad.index` 0–3, as browsers number them). */
export const MAX_GAMEPADS = 4;
/** Buttons and axes carried per pad; the W3C standard mapping has 17 buttons and 4 axes. */
export const MAX_PAD_BUTTONS = 32;
export const MAX_PAD_AXES = 8;
/** Axis values nearer zero than this are sent as 0, so a resting stick's noise sends nothing. */
export const PAD_AXIS_REST = 0.05;

/**
 * The whole state of one pad, sent when it changes: `b` has bit n set while button n is
 * pressed, `a` holds the axes (-1…1, two decimals). A pad that goes away is sent as
 * released (`b: 0`, axes at rest). Whole states rather than press events: a lost or
 * repeated message cannot leave a button stuck.
 */
export const PadStateSchema = z.strictObject({
  type: z.literal('pad'),
  i: z
    .int()
    .min(0)
    .max(MAX_GAMEPADS - 1),
  b: z
    .int()
    .min(0)
    .max(2 ** MAX_PAD_BUTTONS - 1),
  a: z.array(z.number().min(-1).max(1)).max(MAX_PAD_AXES),
});

export type PadState = z.infer<typeof PadStateSchema>;

/** True while button `index` is pressed in `state`. */
export function padButtonPressed(state: Pick<PadState, 'b'>, index: number): boolean {
  return Math.floor(state.b / 2 ** index) % 2 === 1;
}

/** The message for a pad as the Gamepad API shows it (only `pressed` and `axes` are read). */
export function padStateMessage(
  index: number,
  buttons: readonly { pressed: boolean }[],
  axes: readonly number[],
): PadState {
  let b = 0;
  buttons.slice(0, MAX_PAD_BUTTONS).forEach((button, n) => {
    if (button.pressed) b += 2 ** n;
  });
  const a = axes.slice(0, MAX_PAD_AXES).map((value) => {
    const clamped = Number.isFinite(value) ? Math.min(1, Math.max(-1, value)) : 0;
    return Math.abs(clamped) < PAD_AXIS_REST ? 0 : Math.round(clamped * 100) / 100;
  });
  return { type: 'pad', i: index, b, a };
}

/** Whether two pad states would look the same to the game. */
export function samePadState(x: PadState, y: PadState): boolean {
  return x.i === y.i && x.b === y.b && x.a.length === y.a.length && x.a.every((value, n) => value === y.a[n]);
}

const ButtonIndexSchema = z.string().regex(/^(?:[0-9]|[12][0-9]|3[01])$/, 'a button index, 0–31');
const AxisDirectionSchema = z.string().regex(/^[0-7][+-]$/, 'an axis index 0–7 and a direction, e.g. "0-"');

/**
 * How a title that only reads the keyboard is played with a pad: button indexes and axis
 * directions (W3C standard mapping: axis 0 is the left stick's x, `-` left; axis 1 its y,
 * `-` up) to the keys they hold down. An axis counts as pushed beyond `threshold`.
 */
export const GamepadMapSchema = z.strictObject({
  buttons: z.record(ButtonIndexSchema, KeyCodeSchema).optional(),
  axes: z.record(AxisDirectionSchema, KeyCodeSchema).optional(),
  threshold: z.number().min(0.1).max(0.95).optional(),
});

export type GamepadMap = z.infer<typeof GamepadMapSchema>;

/** Where an axis counts as pushed when the map does not say. */
export const DEFAULT_AXIS_THRESHOLD = 0.5;
