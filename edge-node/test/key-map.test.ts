import { describe, expect, it } from 'vitest';
import { keysymForCode } from '../src/input/key-map.js';

describe('keysymForCode', () => {
  it.each([
    ['KeyA', 0x61],
    ['KeyZ', 0x7a],
    ['Digit0', 0x30],
    ['Digit9', 0x39],
    ['Numpad5', 0xffb5],
    ['Enter', 0xff0d],
    ['ArrowLeft', 0xff51],
    ['ControlLeft', 0xffe3],
    ['Space', 0x20],
    ['F1', 0xffbe],
    ['F12', 0xffc9],
  ])('%s → 0x%s', (code, keysym) => {
    expect(keysymForCode(code)).toBe(keysym);
  });

  it.each(['F13', 'KeyAA', 'Unidentified', 'constructor', 'toString'])('has no keysym for %s', (code) => {
    expect(keysymForCode(code)).toBeUndefined();
  });
});
