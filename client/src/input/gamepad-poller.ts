import { MAX_GAMEPADS, padStateMessage, samePadState, type PadState } from '@edgeplay/shared';

/** What the poller reads of a `Gamepad`. */
export interface GamepadLike {
  index: number;
  connected: boolean;
  buttons: readonly { pressed: boolean }[];
  axes: readonly number[];
}

/**
 * Reads `navigator.getGamepads()` once a frame and sends a pad's state only when it
 * changed since the last one that went out; a pad that goes away is sent released, so
 * nothing stays held in the game.
 */
export class GamepadPoller {
  private readonly sent = new Map<number, PadState>();

  constructor(private readonly send: (state: PadState) => boolean) {}

  poll(pads: readonly (GamepadLike | null)[]): void {
    const seen = new Set<number>();
    for (const pad of pads) {
      if (!pad?.connected || pad.index < 0 || pad.index >= MAX_GAMEPADS) continue;
      seen.add(pad.index);
      this.offer(padStateMessage(pad.index, pad.buttons, pad.axes));
    }
    for (const [index, last] of this.sent) {
      if (seen.has(index)) continue;
      const released: PadState = { type: 'pad', i: index, b: 0, a: last.a.map(() => 0) };
      if (this.send(released)) this.sent.delete(index);
    }
  }

  private offer(state: PadState): void {
    const last = this.sent.get(state.i);
    // A pad that was never sent and sits at rest says nothing yet.
    const unchanged = last ? samePadState(last, state) : state.b === 0 && state.a.every((value) => value === 0);
    // Not recorded when the channel refused it, so it goes out again next frame.
    if (!unchanged && this.send(state)) this.sent.set(state.i, state);
  }
}
