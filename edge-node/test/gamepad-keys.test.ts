import { describe, expect, it } from 'vitest';
import { padStateMessage, type GamepadMap, type PadState } from '@edgeplay/shared';
import { GamepadKeys } from '../src/input/gamepad-keys.js';

const MAP: GamepadMap = {
  buttons: { '0': 'ControlLeft', '9': 'Enter', '14': 'ArrowLeft' },
  axes: { '0-': 'ArrowLeft', '0+': 'ArrowRight', '1-': 'ArrowUp' },
};

/** A standard-mapping pad with `pressed` buttons down and the given axes. */
const pad = (i: number, pressed: number[], axes: number[] = [0, 0, 0, 0]): PadState =>
  padStateMessage(
    i,
    Array.from({ length: 17 }, (_, n) => ({ pressed: pressed.includes(n) })),
    axes,
  );

describe('GamepadKeys', () => {
  it('presses a mapped button’s key once, and releases it when the button is let go', () => {
    const keys = new GamepadKeys(MAP);
    expect(keys.update(pad(0, [9]))).toEqual([{ code: 'Enter', down: true }]);
    expect(keys.update(pad(0, [9]))).toEqual([]);
    expect(keys.update(pad(0, []))).toEqual([{ code: 'Enter', down: false }]);
  });

  it('ignores buttons the map does not name', () => {
    expect(new GamepadKeys(MAP).update(pad(0, [1, 2, 3, 16]))).toEqual([]);
  });

  it('reads a stick past the threshold as its direction, and the other way as the other', () => {
    const keys = new GamepadKeys(MAP);
    expect(keys.update(pad(0, [], [-0.49, 0]))).toEqual([]);
    expect(keys.update(pad(0, [], [-0.5, 0]))).toEqual([{ code: 'ArrowLeft', down: true }]);
    expect(keys.update(pad(0, [], [0.9, -0.8]))).toEqual([
      { code: 'ArrowLeft', down: false },
      { code: 'ArrowRight', down: true },
      { code: 'ArrowUp', down: true },
    ]);
  });

  it('honours the map’s own threshold', () => {
    const keys = new GamepadKeys({ ...MAP, threshold: 0.9 });
    expect(keys.update(pad(0, [], [0.8, 0]))).toEqual([]);
    expect(keys.update(pad(0, [], [0.95, 0]))).toEqual([{ code: 'ArrowRight', down: true }]);
  });

  it('keeps a key down while anything still holds it: stick and d-pad, or two pads', () => {
    const keys = new GamepadKeys(MAP);
    expect(keys.update(pad(0, [14], [-1, 0]))).toEqual([{ code: 'ArrowLeft', down: true }]);
    expect(keys.update(pad(0, [14]))).toEqual([]);
    expect(keys.update(pad(1, [14]))).toEqual([]);
    expect(keys.update(pad(0, []))).toEqual([]);
    expect(keys.update(pad(1, []))).toEqual([{ code: 'ArrowLeft', down: false }]);
  });

  it('releases everything the pads hold', () => {
    const keys = new GamepadKeys(MAP);
    keys.update(pad(0, [0, 9]));
    keys.update(pad(2, [], [0, -1]));
    expect(keys.releaseAll()).toEqual(
      expect.arrayContaining([
        { code: 'ControlLeft', down: false },
        { code: 'Enter', down: false },
        { code: 'ArrowUp', down: false },
      ]),
    );
    expect(keys.releaseAll()).toEqual([]);
  });
});
