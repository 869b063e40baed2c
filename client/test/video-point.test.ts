import { describe, expect, it } from 'vitest';
import { pictureFraction } from '../src/input/video-point.js';

// A 1280×720 stage showing an 800×600 picture: bars of 160 px left and right.
const stage = { left: 100, top: 50, width: 1280, height: 720 };

describe('pictureFraction', () => {
  it('measures from the picture, not the letterboxed element', () => {
    expect(pictureFraction(100 + 160, 50, stage, 800, 600)).toEqual({ x: 0, y: 0 });
    expect(pictureFraction(100 + 640, 50 + 360, stage, 800, 600)).toEqual({ x: 0.5, y: 0.5 });
    expect(pictureFraction(100 + 160 + 240, 50 + 540, stage, 800, 600)).toEqual({ x: 0.25, y: 0.75 });
  });

  it('fills the element when the aspect ratios match', () => {
    expect(pictureFraction(100 + 320, 50 + 180, stage, 1280, 720)).toEqual({ x: 0.25, y: 0.25 });
  });

  it('clamps a point in a bar to the edge of the picture', () => {
    expect(pictureFraction(100 + 20, 50 + 360, stage, 800, 600)).toEqual({ x: 0, y: 0.5 });
    expect(pictureFraction(100 + 1270, 50 + 900, stage, 800, 600)).toEqual({ x: 1, y: 1 });
  });

  it('has no answer before the first frame', () => {
    expect(pictureFraction(300, 300, stage, 0, 0)).toBeUndefined();
  });
});
