import { describe, expect, it } from 'vitest';
import { WheelNotches } from '../src/input/wheel-notches.js';

const PIXEL = 0;
const LINE = 1;

describe('WheelNotches', () => {
  it('makes a notch of each 100 px a mouse wheel scrolls', () => {
    const wheel = new WheelNotches();
    expect(wheel.add(0, 100, PIXEL)).toEqual({ dx: 0, dy: 1 });
    expect(wheel.add(0, -300, PIXEL)).toEqual({ dx: 0, dy: -3 });
    expect(wheel.add(200, 0, PIXEL)).toEqual({ dx: 2, dy: 0 });
  });

  it('adds up a touchpad’s small steps, and starts afresh when the direction turns', () => {
    const wheel = new WheelNotches();
    expect(wheel.add(0, 40, PIXEL)).toBeUndefined();
    expect(wheel.add(0, 40, PIXEL)).toBeUndefined();
    expect(wheel.add(0, 40, PIXEL)).toEqual({ dx: 0, dy: 1 });
    expect(wheel.add(0, -60, PIXEL)).toBeUndefined();
    expect(wheel.add(0, -60, PIXEL)).toEqual({ dx: 0, dy: -1 });
  });

  it('counts three lines as a notch', () => {
    expect(new WheelNotches().add(0, 6, LINE)).toEqual({ dx: 0, dy: 2 });
  });

  it('never sends more notches than a message may carry', () => {
    expect(new WheelNotches().add(0, 1e6, PIXEL)).toEqual({ dx: 0, dy: 10 });
  });
});
