import { describe, expect, it } from 'vitest';
import { hueOf, initialsOf } from '../src/cover-art.js';

describe('generated covers', () => {
  it('stand for a title by up to two initials', () => {
    expect(initialsOf('Chromium B.S.U.')).toBe('CB');
    expect(initialsOf('SuperTux')).toBe('SU');
    expect(initialsOf('Latency probe')).toBe('LP');
    expect(initialsOf('ñandú racer')).toBe('ÑR');
    expect(initialsOf('!!!')).toBe('?');
  });

  it('keep one colour per title id, spread around the wheel', () => {
    expect(hueOf('supertux2')).toBe(hueOf('supertux2'));
    const hues = new Set(Array.from({ length: 200 }, (_, i) => hueOf(`title-${i}`)));
    // 200 ids over 360 hues: a fair hash gives ~150 distinct ones; a poor one clusters.
    expect(hues.size).toBeGreaterThan(120);
    for (const hue of hues) expect(hue >= 0 && hue < 360 && Number.isInteger(hue)).toBe(true);
  });
});
