import { DEFAULT_AXIS_THRESHOLD, padButtonPressed, type GamepadMap, type PadState } from '@edgeplay/shared';

export interface KeyChange {
  code: string;
  down: boolean;
}

interface AxisRule {
  axis: number;
  negative: boolean;
  code: string;
}

/**
 * Plays a keyboard-only title with gamepads, through the title's gamepadMap: each pad
 * state turns into the key presses and releases that make the game's keyboard match it.
 * A key stays down while any pad holds it, so two pads (or a stick and a d-pad mapped to
 * the same arrow) never release each other's keys.
 */
export class GamepadKeys {
  private readonly buttons: { index: number; code: string }[];
  private readonly axes: AxisRule[];
  private readonly threshold: number;
  /** The keys each pad holds now. */
  private readonly pads = new Map<number, Set<string>>();
  /** The keys pressed on the game's keyboard on the pads' behalf. */
  private readonly held = new Set<string>();

  constructor(map: GamepadMap) {
    this.buttons = Object.entries(map.buttons ?? {}).map(([index, code]) => ({ index: Number(index), code }));
    this.axes = Object.entries(map.axes ?? {}).map(([direction, code]) => ({
      axis: Number(direction.slice(0, -1)),
      negative: direction.endsWith('-'),
      code,
    }));
    this.threshold = map.threshold ?? DEFAULT_AXIS_THRESHOLD;
  }

  /** The key changes, releases first, that bring the game's keys in line with `state`. */
  update(state: PadState): KeyChange[] {
    const wanted = new Set<string>();
    for (const { index, code } of this.buttons) if (padButtonPressed(state, index)) wanted.add(code);
    for (const { axis, negative, code } of this.axes) {
      const value = state.a[axis] ?? 0;
      if (negative ? value <= -this.threshold : value >= this.threshold) wanted.add(code);
    }
    this.pads.set(state.i, wanted);
    return this.settle();
  }

  /** Releases every key the pads hold (the page went away, or the session ends). */
  releaseAll(): KeyChange[] {
    this.pads.clear();
    return this.settle();
  }

  private settle(): KeyChange[] {
    const wanted = new Set<string>();
    for (const codes of this.pads.values()) for (const code of codes) wanted.add(code);
    const changes: KeyChange[] = [];
    for (const code of this.held) if (!wanted.has(code)) changes.push({ code, down: false });
    for (const code of wanted) if (!this.held.has(code)) changes.push({ code, down: true });
    for (const { code, down } of changes) {
      if (down) this.held.add(code);
      else this.held.delete(code);
    }
    return changes;
  }
}
