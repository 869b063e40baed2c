import { describe, expect, it } from 'vitest';
import { QualityController, type QualityControllerOptions } from '../src/session/quality-controller.js';
import { bitsPerPixel, qualityLadder } from '../src/session/quality-ladder.js';

const HD = { width: 1280, height: 720, fps: 60 };

function controller(options: Partial<QualityControllerOptions> = {}): QualityController {
  return new QualityController({ title: HD, maxKbps: 5530, minKbps: 250, ...options });
}

/** Feeds reports every `stepMs` from `fromMs`; returns the bitrate after each. */
function feed(
  c: QualityController,
  fromMs: number,
  stepMs: number,
  reports: { kbps?: number; loss?: number }[],
): number[] {
  return reports.map((r, i) => {
    c.update({
      atMs: fromMs + i * stepMs,
      ...(r.kbps === undefined ? {} : { availableBps: r.kbps * 1000 }),
      ...(r.loss === undefined ? {} : { fractionLost: r.loss }),
    });
    return c.settings.bitrateKbps;
  });
}

describe('qualityLadder', () => {
  it('steps down the size to 3/4 and 1/2, then halves a 60 fps rate, never below 30 fps', () => {
    expect(qualityLadder(HD)).toEqual([
      { width: 1280, height: 720, fps: 60 },
      { width: 960, height: 540, fps: 60 },
      { width: 640, height: 360, fps: 60 },
      { width: 640, height: 360, fps: 30 },
    ]);
    // Sizes stay even (4:2:0), and a 30 fps title gets no slower rung.
    expect(qualityLadder({ width: 960, height: 540, fps: 30 })).toEqual([
      { width: 960, height: 540, fps: 30 },
      { width: 720, height: 406, fps: 30 },
      { width: 480, height: 270, fps: 30 },
    ]);
  });

  it('measures bits per pixel per frame', () => {
    expect(bitsPerPixel(HD, 5530)).toBeCloseTo(0.1, 2);
  });
});

describe('QualityController', () => {
  it('starts at the title’s own format and full budget, and ignores a report that says nothing', () => {
    const c = controller();
    expect(c.settings).toEqual({ ...HD, bitrateKbps: 5530 });
    expect(c.update({ atMs: 0 })).toBeUndefined();
    expect(c.update({ atMs: 1, fractionLost: 0.01 })).toBeUndefined();
  });

  it('refuses a floor above the ceiling', () => {
    expect(() => controller({ minKbps: 6000 })).toThrow(RangeError);
  });

  it('follows a falling estimate down at once, to a fraction of it, less the sound’s share', () => {
    const c = controller({ reservedKbps: 96 });
    const decision = c.update({ atMs: 0, availableBps: 4_000_000 });
    expect(decision).toMatchObject({ reason: 'estimate', settings: { bitrateKbps: Math.round(4000 * 0.85 - 96) } });
  });

  it('ignores small wobbles of the estimate (hysteresis)', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 4_000_000 }); // → 3400
    expect(c.update({ atMs: 500, availableBps: 3_900_000 })).toBeUndefined(); // 3315: within 5 % below
    expect(c.update({ atMs: 5000, availableBps: 4_300_000 })).toBeUndefined(); // 3655: within 10 % above
    expect(c.settings.bitrateKbps).toBe(3400);
  });

  it('climbs slowly: after a hold, by steps, and only on what the estimate has held for a while', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 1_000_000 }); // → 850
    // The link frees up at once, but the first increase waits out the 3 s hold after the cut.
    const climb = feed(
      c,
      500,
      500,
      Array.from({ length: 24 }, () => ({ kbps: 6000 })),
    );
    expect(climb.slice(0, 5)).toEqual([850, 850, 850, 850, 850]);
    expect(climb[5]).toBeGreaterThan(850);
    // Each step at most halfway to the target (or ×1.3), no sooner than 1.5 s after the last.
    const steps = climb.filter((kbps, i) => kbps !== (climb[i - 1] ?? 850));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    let previous = 850;
    for (const kbps of steps) {
      expect(kbps).toBeLessThanOrEqual(Math.max(previous * 1.3, (previous + 5100) / 2) + 1);
      previous = kbps;
    }
    expect(climb.at(-1)).toBe(5100); // 85 % of 6000, the estimate it was given
  });

  it('does not chase a single overshooting estimate', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 2_000_000 }); // → 1700
    const after = feed(c, 500, 500, [
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 3600 }, // a probe that measured a burst
      { kbps: 2000 },
      { kbps: 2000 },
      { kbps: 2000 },
    ]);
    expect(Math.max(...after)).toBe(1700);
  });

  it('cuts by half the reported loss even when the estimate is high, once per receiver report', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 4_000_000 }); // → 3400
    const decision = c.update({ atMs: 500, availableBps: 4_000_000, fractionLost: 0.3 });
    expect(decision).toMatchObject({ reason: 'loss', settings: { bitrateKbps: 2890 } });
    // The same report read again half a second later is not a second cut.
    expect(c.update({ atMs: 1000, availableBps: 4_000_000, fractionLost: 0.3 })).toBeUndefined();
    expect(c.update({ atMs: 1600, availableBps: 4_000_000, fractionLost: 0.3 })?.settings.bitrateKbps).toBe(2457);
  });

  it('does not climb while a little loss is reported', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 2_000_000 }); // → 1700
    const held = feed(
      c,
      4000,
      500,
      Array.from({ length: 10 }, () => ({ kbps: 6000, loss: 0.05 })),
    );
    expect(new Set(held)).toEqual(new Set([1700]));
  });

  it('stays within its floor and ceiling', () => {
    const c = controller();
    c.update({ atMs: 0, availableBps: 30_000 });
    expect(c.settings.bitrateKbps).toBe(250);
    feed(
      c,
      3000,
      500,
      Array.from({ length: 60 }, () => ({ kbps: 20_000 })),
    );
    expect(c.settings.bitrateKbps).toBe(5530);
  });

  it('moves down the ladder when bits per pixel run short, and back up one rung at a time', () => {
    const c = controller();
    // 1530 kbit/s over 1280×720@60 is 0.028 bits per pixel: too few; 960×540@60 gets 0.049.
    expect(c.update({ atMs: 0, availableBps: 1_800_000 })?.settings).toEqual({
      width: 960,
      height: 540,
      fps: 60,
      bitrateKbps: 1530,
    });
    // A collapse goes down as many rungs as needed at once: 250 kbit/s wants 640×360@30.
    expect(c.update({ atMs: 500, availableBps: 100_000 })?.settings).toMatchObject({ width: 640, fps: 30 });
    // Plenty of room again: the bitrate climbs first, the format one rung at a time, 8 s apart.
    const formats: string[] = [];
    for (let t = 1000; t <= 60_000; t += 500) {
      c.update({ atMs: t, availableBps: 8_000_000 });
      const { width, height, fps } = c.settings;
      const format = `${width}x${height}@${fps}`;
      if (formats.at(-1) !== format) formats.push(format);
    }
    expect(formats).toEqual(['640x360@30', '640x360@60', '960x540@60', '1280x720@60']);
    expect(c.settings.bitrateKbps).toBe(5530);
  });
});
