import type { InputEvent } from '@edgeplay/shared';
import { GamepadPoller } from './gamepad-poller.js';
import { captureKeyboard } from './keyboard-capture.js';
import { captureMouse, type MouseMode } from './mouse-capture.js';

export type { MouseMode } from './mouse-capture.js';

export interface InputCaptureOptions {
  /** The element showing the game: mouse input is read over it. */
  video: HTMLVideoElement;
  /** Sends one event to the game; false when it could not go out. */
  send(event: InputEvent): boolean;
  mouse: MouseMode;
  /** Whether to read gamepads (the title can be played with one). */
  gamepads: boolean;
}

export interface InputCapture {
  setMouseMode(mode: MouseMode): void;
  /** Stops listening and polling; nothing is sent afterwards. */
  stop(): void;
}

/**
 * Everything the player does that the game should see, while a session is playing:
 * keyboard, mouse over the picture, and gamepads, polled once a frame (the Gamepad API
 * has no events for buttons or sticks).
 */
export function startInputCapture(options: InputCaptureOptions): InputCapture {
  let stopped = false;
  const send = (event: InputEvent): boolean => !stopped && options.send(event);
  const stopKeyboard = captureKeyboard(send);
  const mouse = captureMouse(options.video, send, options.mouse);
  let frame: number | undefined;
  if (options.gamepads && typeof navigator.getGamepads === 'function') {
    const poller = new GamepadPoller(send);
    const poll = (): void => {
      poller.poll(navigator.getGamepads());
      frame = requestAnimationFrame(poll);
    };
    frame = requestAnimationFrame(poll);
  }
  return {
    setMouseMode: (mode) => mouse.setMode(mode),
    stop() {
      stopped = true;
      if (frame !== undefined) cancelAnimationFrame(frame);
      stopKeyboard();
      mouse.stop();
    },
  };
}
