/**
 * Malformed messages for fuzzing every input of EdgePlay: seeded (a failure names its seed
 * and index and replays exactly), built from a valid template of each message so that the
 * junk reaches deep into handlers instead of failing at the first type check.
 */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const NASTY_STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '\u0000',
  '\ud800',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  '0x',
  `0x${'zz'.repeat(32)}`,
  'null',
  'NaN',
  '-1',
  '1e309',
  '%s%s%s%n',
  '😀'.repeat(50),
];
const NASTY_NUMBERS = [0, -1, 1.5, -0, 2 ** 53, -(2 ** 53), 1e308, Number.MIN_VALUE, 4294967296, 65536];

export class JunkMaker {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = random(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  private int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** Any JSON value, up to `depth` levels deep; strings stay under `maxString` characters. */
  value(depth = 3, maxString = 2000): Json {
    const kind = this.int(depth > 0 ? 9 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.next() < 0.5;
      case 2:
        return this.pick(NASTY_NUMBERS);
      case 3:
        return this.pick(NASTY_STRINGS);
      case 4:
        return 'x'.repeat(this.int(maxString));
      case 5:
        return this.next() * 1e6 - 5e5;
      case 6:
        return Array.from({ length: this.int(6) }, () => this.value(depth - 1, maxString));
      case 7:
      case 8: {
        const object: Record<string, Json> = {};
        for (let i = this.int(6); i > 0; i--)
          object[this.pick([...NASTY_STRINGS, 'id', 'type', 'ok'])] = this.value(depth - 1, maxString);
        return object;
      }
      default:
        return null;
    }
  }

  /** A copy of `template` with one to three fields replaced, dropped, or added. */
  mutate(template: Record<string, Json>): Json {
    if (this.next() < 0.15) return this.value();
    const copy: Record<string, Json> = structuredClone(template);
    const keys = Object.keys(copy);
    for (let i = 1 + this.int(3); i > 0; i--) {
      const action = this.int(3);
      const key = keys.length ? this.pick(keys) : 'x';
      if (action === 0) copy[key] = this.value(2);
      else if (action === 1) delete copy[key];
      else copy[this.pick(['extra', '__proto__', 'constructor', key])] = this.value(2);
    }
    return copy;
  }

  /** The JSON text of an array nested `levels` deep (built as text: JSON.stringify itself would recurse). */
  deepJson(levels: number): string {
    return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
  }
}
