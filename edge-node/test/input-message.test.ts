import { describe, expect, it } from 'vitest';
import { parseInputMessage } from '../src/input/input-message.js';

const message = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseInputMessage', () => {
  it('accepts a key event', () => {
    expect(parseInputMessage(message({ type: 'key', code: 'KeyZ', down: true, t: 12.5 }))).toEqual({
      ok: true,
      event: { type: 'key', code: 'KeyZ', down: true, t: 12.5 },
    });
  });

  it.each([
    ['not JSON', '{"type":'],
    ['binary garbage', '\u0000\u0001\u00ff'],
    ['a JSON array', [1, 2, 3]],
    ['an unknown event type', { type: 'teleport', x: 1 }],
    ['a key without a direction', { type: 'key', code: 'KeyZ' }],
    ['an extra field', { type: 'key', code: 'KeyZ', down: true, exec: 'rm -rf /' }],
    ['an oversized message', { type: 'key', code: 'KeyZ', down: true, pad: 'x'.repeat(600) }],
  ])('answers %s with INVALID_MESSAGE', (_what, value) => {
    expect(parseInputMessage(message(value))).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
  });
});
