// The `x11` package (pure JavaScript X11 protocol client) ships no types; this is the
// small part of it EdgePlay uses.
declare module 'x11' {
  import type { EventEmitter } from 'node:events';

  export interface X11Screen {
    root: number;
    white_pixel: number;
    black_pixel: number;
    pixel_width: number;
    pixel_height: number;
  }

  export interface X11Event {
    type: number;
    name?: string;
    keycode?: number;
    wid?: number;
  }

  export interface XTestExtension {
    KeyPress: number;
    KeyRelease: number;
    ButtonPress: number;
    ButtonRelease: number;
    MotionNotify: number;
    FakeInput(type: number, detail: number, time: number, wid: number, x: number, y: number): void;
  }

  export interface X11Client extends EventEmitter {
    AllocID(): number;
    require(name: 'xtest', callback: (error: Error | null, ext: XTestExtension) => void): void;
    GetKeyboardMapping(first: number, count: number, callback: (error: Error | null, map: number[][]) => void): void;
    CreateWindow(
      wid: number,
      parent: number,
      x: number,
      y: number,
      width: number,
      height: number,
      border: number,
      depth: number,
      klass: number,
      visual: number,
      values: Record<string, number>,
    ): void;
    ChangeWindowAttributes(wid: number, values: Record<string, number>): void;
    ChangeProperty(mode: number, wid: number, property: number, type: number, format: number, data: string): void;
    MapWindow(wid: number): void;
    CreateGC(gc: number, drawable: number, values?: Record<string, number>): void;
    ChangeGC(gc: number, values: Record<string, number>): void;
    PolyFillRectangle(drawable: number, gc: number, rects: number[]): void;
    GetInputFocus(callback: (error: Error | null, focus: unknown) => void): void;
    terminate(): void;
  }

  export interface X11Display {
    client: X11Client;
    screen: X11Screen[];
    min_keycode: number;
    max_keycode: number;
  }

  export function createClient(
    options: { display: string },
    callback: (error: Error | null, display: X11Display) => void,
  ): X11Client;

  export const eventMask: Record<string, number>;
}
