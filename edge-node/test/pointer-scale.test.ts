import { describe, expect, it } from 'vitest';
import { toScreenPoint, wheelClicks, xButtonFor } from '../src/input/pointer-scale.js';

const screen = { width: 800, height: 600 };

describe('toScreenPoint', () => {
  it.each([
    [0, 0, 0, 0],
    [0.5, 0.5, 400, 300],
    [0.25, 0.75, 200, 450],
    // The centre of the last pixel, and the picture's far edge, are the last pixel.
    [799.5 / 800, 599.5 / 600, 799, 599],
    [1, 1, 799, 599],
  ])('(%d, %d) → pixel (%d, %d)', (x, y, px, py) => {
    expect(toScreenPoint(x, y, screen)).toEqual({ x: px, y: py });
  });

  it.each([
    [-0.3, 0.5, 0, 300],
    [1.7, 0.5, 799, 300],
    [0.5, -1e300, 400, 0],
    [1e300, 1e300, 799, 599],
    [Number.NaN, Number.POSITIVE_INFINITY, 0, 599],
  ])('clamps (%d, %d) to the screen: (%d, %d)', (x, y, px, py) => {
    expect(toScreenPoint(x, y, screen)).toEqual({ x: px, y: py });
  });
});

describe('wheelClicks', () => {
  it('turns notches into clicks of buttons 4/5 (up/down) and 6/7 (left/right)', () => {
    expect(wheelClicks(0, 2)).toEqual([5, 5]);
    expect(wheelClicks(0, -1)).toEqual([4]);
    expect(wheelClicks(-1, 1)).toEqual([5, 6]);
    expect(wheelClicks(2, 0)).toEqual([7, 7]);
    expect(wheelClicks(0, 0)).toEqual([]);
  });

  it('never clicks more than 10 times an axis', () => {
    expect(wheelClicks(0, 1000)).toHaveLength(10);
  });
});

describe('xButtonFor', () => {
  it('maps MouseEvent.button to X core buttons', () => {
    expect([0, 1, 2, 3].map(xButtonFor)).toEqual([1, 2, 3, undefined]);
  });
});
