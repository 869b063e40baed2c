import { describe, expect, it } from 'vitest';
import type { PadState } from '@edgeplay/shared';
import { GamepadPoller, type GamepadLike } from '../src/input/gamepad-poller.js';

const pad = (index: number, pressed: number[] = [], axes = [0, 0, 0, 0]): GamepadLike => ({
  index,
  connected: true,
  buttons: Array.from({ length: 17 }, (_, n) => ({ pressed: pressed.includes(n) })),
  axes,
});

function poller(open = { value: true }): { sent: PadState[]; poller: GamepadPoller } {
  const sent: PadState[] = [];
  return {
    sent,
    poller: new GamepadPoller((state) => {
      if (open.value) sent.push(state);
      return open.value;
    }),
  };
}

describe('GamepadPoller', () => {
  it('sends nothing for a pad at rest, then only changes', () => {
    const { sent, poller: p } = poller();
    p.poll([pad(0), null, null, null]);
    expect(sent).toEqual([]);
    p.poll([pad(0, [9])]);
    p.poll([pad(0, [9])]);
    p.poll([pad(0, [9], [0.01, 0, 0, 0])]);
    p.poll([pad(0, [])]);
    expect(sent).toEqual([
      { type: 'pad', i: 0, b: 512, a: [0, 0, 0, 0] },
      { type: 'pad', i: 0, b: 0, a: [0, 0, 0, 0] },
    ]);
  });

  it('keeps pads apart, and ignores a fifth', () => {
    const { sent, poller: p } = poller();
    p.poll([pad(0, [0]), pad(3, [], [0, -1, 0, 0]), pad(4, [0])]);
    expect(sent.map((state) => state.i)).toEqual([0, 3]);
  });

  it('sends a pad that goes away as released', () => {
    const { sent, poller: p } = poller();
    p.poll([pad(1, [0, 1], [1, 0])]);
    p.poll([null, { ...pad(1), connected: false }]);
    p.poll([]);
    expect(sent).toEqual([
      { type: 'pad', i: 1, b: 3, a: [1, 0] },
      { type: 'pad', i: 1, b: 0, a: [0, 0] },
    ]);
  });

  it('sends a change again while the channel refused it', () => {
    const open = { value: false };
    const { sent, poller: p } = poller(open);
    p.poll([pad(0, [9])]);
    open.value = true;
    p.poll([pad(0, [9])]);
    expect(sent).toEqual([{ type: 'pad', i: 0, b: 512, a: [0, 0, 0, 0] }]);
  });
});
