import { describe, expect, it } from 'vitest';
import { ReconnectSchedule } from '../src/reconnect-schedule.js';

describe('ReconnectSchedule', () => {
  it('backs off 250 ms, 500 ms, 1 s, then every 2 s, and stops at the end of the window', () => {
    const schedule = new ReconnectSchedule(0, 10_000);
    let now = 0;
    const delays: number[] = [];
    for (let delay = schedule.nextDelay(now); delay !== undefined; delay = schedule.nextDelay(now)) {
      delays.push(delay);
      now += delay;
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000, 250]);
    expect(now).toBe(10_000);
    expect(schedule.remaining(now)).toBe(0);
  });
});
