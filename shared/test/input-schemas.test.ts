import { describe, expect, it } from 'vitest';
import {
  GamepadMapSchema,
  InputEventSchema,
  MAX_INPUT_MESSAGE_BYTES,
  padButtonPressed,
  padStateMessage,
  samePadState,
  summarizeTitle,
  TitleManifestSchema,
} from '../src/index.js';

describe('input events: mouse', () => {
  it.each([
    { type: 'move', x: 0.25, y: 0.75 },
    // Off the picture (a letterbox bar): accepted, the edge clamps it to the screen.
    { type: 'move', x: -0.2, y: 1.4 },
    { type: 'move-rel', dx: -12, dy: 3 },
    { type: 'button', button: 0, down: true, t: 1234.5 },
    { type: 'button', button: 2, down: false },
    { type: 'wheel', dx: 0, dy: -3 },
  ])('accepts %j', (event) => {
    expect(InputEventSchema.parse(event)).toEqual(event);
  });

  it.each([
    ['a position that is not a number', { type: 'move', x: '0.5', y: 0.5 }],
    ['a position without y', { type: 'move', x: 0.5 }],
    ['an absolute move with deltas', { type: 'move', x: 0.5, y: 0.5, dx: 1 }],
    ['a fractional delta', { type: 'move-rel', dx: 0.5, dy: 0 }],
    ['a delta beyond 4096 px', { type: 'move-rel', dx: 5000, dy: 0 }],
    ['button 3 (X has no mapping for it here)', { type: 'button', button: 3, down: true }],
    ['a button without a direction', { type: 'button', button: 0 }],
    ['11 wheel notches at once', { type: 'wheel', dx: 0, dy: 11 }],
    ['a wheel in pixels', { type: 'wheel', dx: 0, dy: 2.5 }],
  ])('refuses %s', (_what, event) => {
    expect(InputEventSchema.safeParse(event).success).toBe(false);
  });
});

describe('input events: gamepads', () => {
  it('accepts a pad state', () => {
    const state = { type: 'pad', i: 3, b: 2 ** 31 + 1, a: [-1, 0, 0.5, 1] };
    expect(InputEventSchema.parse(state)).toEqual(state);
  });

  it.each([
    ['a fifth pad', { type: 'pad', i: 4, b: 0, a: [] }],
    ['a negative button mask', { type: 'pad', i: 0, b: -1, a: [] }],
    ['a 33rd button', { type: 'pad', i: 0, b: 2 ** 32, a: [] }],
    ['an axis beyond 1', { type: 'pad', i: 0, b: 0, a: [1.5] }],
    ['nine axes', { type: 'pad', i: 0, b: 0, a: new Array(9).fill(0) }],
    ['buttons as a list', { type: 'pad', i: 0, b: [true], a: [] }],
  ])('refuses %s', (_what, event) => {
    expect(InputEventSchema.safeParse(event).success).toBe(false);
  });

  it('encodes what the Gamepad API shows: pressed buttons as bits, axes to two decimals', () => {
    const buttons = Array.from({ length: 17 }, (_, n) => ({ pressed: n === 0 || n === 9 || n === 16 }));
    const state = padStateMessage(1, buttons, [0.123456, -0.987, 0.02, -0.04, Number.NaN, 3]);
    expect(state).toEqual({ type: 'pad', i: 1, b: 1 + 2 ** 9 + 2 ** 16, a: [0.12, -0.99, 0, 0, 0, 1] });
    expect([0, 1, 9, 16, 17].map((n) => padButtonPressed(state, n))).toEqual([true, false, true, true, false]);
    expect(InputEventSchema.safeParse(state).success).toBe(true);
  });

  it('keeps a pad with every button and axis under the message limit', () => {
    const state = padStateMessage(
      3,
      Array.from({ length: 40 }, () => ({ pressed: true })),
      Array.from({ length: 12 }, () => -0.77),
    );
    expect(state.b).toBe(2 ** 32 - 1);
    expect(state.a).toHaveLength(8);
    expect(InputEventSchema.safeParse(state).success).toBe(true);
    expect(JSON.stringify(state).length).toBeLessThan(MAX_INPUT_MESSAGE_BYTES / 4);
  });

  it('sees a resting stick’s noise as no change, and a press as one', () => {
    const rest = padStateMessage(0, [{ pressed: false }], [0.01, -0.02]);
    expect(samePadState(rest, padStateMessage(0, [{ pressed: false }], [-0.03, 0.004]))).toBe(true);
    expect(samePadState(rest, padStateMessage(0, [{ pressed: true }], [0.01, -0.02]))).toBe(false);
    expect(samePadState(rest, padStateMessage(0, [{ pressed: false }], [0.6, 0]))).toBe(false);
    expect(samePadState(rest, padStateMessage(1, [{ pressed: false }], [0, 0]))).toBe(false);
  });
});

describe('gamepad map in a title manifest', () => {
  const manifest = {
    id: 'chromium-bsu',
    name: 'Chromium B.S.U.',
    command: 'chromium-bsu',
    resolution: { width: 800, height: 600 },
    fps: 60,
  };

  it('accepts buttons and axis directions mapped to keys, and says so in the summary', () => {
    const parsed = TitleManifestSchema.parse({
      ...manifest,
      mouse: 'relative',
      gamepadMap: { buttons: { '0': 'ControlLeft', '31': 'Enter' }, axes: { '0-': 'ArrowLeft', '7+': 'KeyD' } },
    });
    expect(summarizeTitle(parsed)).toEqual({
      id: 'chromium-bsu',
      name: 'Chromium B.S.U.',
      resolution: { width: 800, height: 600 },
      fps: 60,
      mouse: 'relative',
      gamepad: true,
    });
    expect(summarizeTitle(TitleManifestSchema.parse(manifest))).not.toHaveProperty('gamepad');
  });

  it.each([
    ['button 32', { buttons: { '32': 'Enter' } }],
    ['a button named, not numbered', { buttons: { A: 'Enter' } }],
    ['an axis without a direction', { axes: { '0': 'ArrowLeft' } }],
    ['axis 8', { axes: { '8+': 'ArrowLeft' } }],
    ['a key code with a space', { buttons: { '0': 'Arrow Left' } }],
    ['a threshold of 1', { threshold: 1 }],
    ['an unknown field', { deadzone: 0.2 }],
  ])('refuses %s', (_what, gamepadMap) => {
    expect(GamepadMapSchema.safeParse(gamepadMap).success).toBe(false);
    expect(TitleManifestSchema.safeParse({ ...manifest, gamepadMap }).success).toBe(false);
  });

  it('refuses a mouse mode it does not know', () => {
    expect(TitleManifestSchema.safeParse({ ...manifest, mouse: 'trackball' }).success).toBe(false);
  });
});
