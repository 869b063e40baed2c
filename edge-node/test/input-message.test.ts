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
    { type: 'move', x: 0.5, y: 0.25 },
    { type: 'move-rel', dx: -4, dy: 7 },
    { type: 'button', button: 1, down: true },
    { type: 'wheel', dx: 0, dy: 2 },
    { type: 'pad', i: 0, b: 512, a: [0, -1] },
  ])('accepts %j', (event) => {
    expect(parseInputMessage(message(event))).toEqual({ ok: true, event });
  });

  it.each([
    ['not JSON', '{"type":'],
    ['binary garbage', '\u0000\u0001\u00ff'],
    ['a JSON array', [1, 2, 3]],
    ['an unknown event type', { type: 'teleport', x: 1 }],
    ['a key without a direction', { type: 'key', code: 'KeyZ' }],
    ['an extra field', { type: 'key', code: 'KeyZ', down: true, exec: 'rm -rf /' }],
    ['a mouse move without y', { type: 'move', x: 0.5 }],
    ['a fifth gamepad', { type: 'pad', i: 4, b: 0, a: [] }],
    ['a pad with 600 axes', { type: 'pad', i: 0, b: 0, a: new Array(600).fill(0) }],
    ['an oversized message', { type: 'key', code: 'KeyZ', down: true, pad: 'x'.repeat(600) }],
  ])('answers %s with INVALID_MESSAGE', (_what, value) => {
    expect(parseInputMessage(message(value))).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
  });
});
