import { once } from 'node:events';
import * as x11 from 'x11';
import { keysymForCode } from './key-map.js';

/** Connects to an X display, rejecting with a clear error instead of hanging. */
export function connectX11(display: string, timeoutMs = 5000): Promise<x11.X11Display> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no X server answered on ${display}`)), timeoutMs);
    const client = x11.createClient({ display }, (error, connected) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(connected);
    });
    client.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Injects the player's input into the session's display through XTEST over one
 * persistent X connection (~3 ms a key, against ~33 ms for spawning xdotool per key).
 * There is no window manager, so keyboard focus follows the pointer: the pointer starts
 * parked in the middle of the screen, over the title's window.
 */
export class XTestInjector {
  private closed = false;

  private constructor(
    private readonly connection: x11.X11Display,
    private readonly xtest: x11.XTestExtension,
    private readonly keycodes: Map<number, number>,
    /** The display's size in pixels: where absolute motion is clamped to. */
    readonly screen: { width: number; height: number },
  ) {}

  static async connect(display: string): Promise<XTestInjector> {
    const connection = await connectX11(display);
    const client = connection.client;
    try {
      const xtest = await new Promise<x11.XTestExtension>((resolve, reject) =>
        client.require('xtest', (error, ext) => (error ? reject(error) : resolve(ext))),
      );
      const first = connection.min_keycode;
      const count = connection.max_keycode - first + 1;
      const mapping = await new Promise<number[][]>((resolve, reject) =>
        client.GetKeyboardMapping(first, count, (error, map) => (error ? reject(error) : resolve(map))),
      );
      const keycodes = new Map<number, number>();
      mapping.forEach((keysyms, index) => {
        for (const keysym of keysyms) if (keysym !== 0 && !keycodes.has(keysym)) keycodes.set(keysym, first + index);
      });
      const screen = connection.screen[0];
      if (!screen) throw new Error(`display ${display} has no screen`);
      const injector = new XTestInjector(connection, xtest, keycodes, {
        width: screen.pixel_width,
        height: screen.pixel_height,
      });
      injector.moveTo(Math.floor(screen.pixel_width / 2), Math.floor(screen.pixel_height / 2));
      return injector;
    } catch (error) {
      client.terminate();
      throw error;
    }
  }

  /** Presses or releases a key; false when the code has no key on this display. */
  key(code: string, down: boolean): boolean {
    const keysym = keysymForCode(code);
    const keycode = keysym === undefined ? undefined : this.keycodes.get(keysym);
    if (this.closed || keycode === undefined) return false;
    this.xtest.FakeInput(down ? this.xtest.KeyPress : this.xtest.KeyRelease, keycode, 0, 0, 0, 0);
    return true;
  }

  /** Moves the pointer to a screen pixel (the caller clamps it to `screen`). */
  moveTo(x: number, y: number): void {
    // Window None: the root window of the screen the pointer is on.
    if (!this.closed) this.xtest.FakeInput(this.xtest.MotionNotify, 0, 0, 0, x, y);
  }

  /** Moves the pointer by a step; the X server keeps it on the screen. */
  moveBy(dx: number, dy: number): void {
    // detail 1: relative motion (XTEST's "is relative" flag).
    if (!this.closed) this.xtest.FakeInput(this.xtest.MotionNotify, 1, 0, 0, dx, dy);
  }

  /** Presses or releases an X core button (1–3 mouse, 4–7 wheel). */
  button(button: number, down: boolean): void {
    if (!this.closed)
      this.xtest.FakeInput(down ? this.xtest.ButtonPress : this.xtest.ButtonRelease, button, 0, 0, 0, 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An error while the connection closes is no reason to keep it: we wait for either.
    const ended = once(this.connection.client, 'end').catch(() => undefined);
    this.connection.client.terminate();
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
}
