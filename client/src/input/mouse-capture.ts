import { MAX_POINTER_DELTA, type InputEvent } from '@edgeplay/shared';
import { pictureFraction } from './video-point.js';
import { WheelNotches } from './wheel-notches.js';

export type MouseMode = 'absolute' | 'relative';

export interface MouseCapture {
  setMode(mode: MouseMode): void;
  stop(): void;
}

/**
 * The mouse over the game's picture. Absolute: the pointer's position on the picture
 * follows it. Relative (mouse-look): a click locks the pointer to the video, and motion
 * is sent as deltas until the player presses Esc. Mouse events rather than pointer
 * events: a second button pressed while one is held fires no pointerdown.
 */
export function captureMouse(
  video: HTMLVideoElement,
  send: (event: InputEvent) => boolean,
  initialMode: MouseMode,
): MouseCapture {
  let mode = initialMode;
  const held = new Set<number>();
  const wheel = new WheelNotches();
  const locked = (): boolean => document.pointerLockElement === video;

  const sendPosition = (event: MouseEvent): void => {
    const point = pictureFraction(
      event.clientX,
      event.clientY,
      video.getBoundingClientRect(),
      video.videoWidth,
      video.videoHeight,
    );
    if (point) send({ type: 'move', ...point });
  };
  const delta = (value: number): number => Math.max(-MAX_POINTER_DELTA, Math.min(MAX_POINTER_DELTA, Math.round(value)));

  const onMove = (event: MouseEvent): void => {
    if (mode === 'absolute') sendPosition(event);
    else if (locked() && (event.movementX || event.movementY))
      send({ type: 'move-rel', dx: delta(event.movementX), dy: delta(event.movementY) });
  };
  const onDown = (event: MouseEvent): void => {
    if (event.button > 2) return;
    event.preventDefault();
    video.focus();
    if (mode === 'relative' && !locked()) {
      // This click only takes the mouse; the game does not see it.
      void Promise.resolve(video.requestPointerLock()).catch((error: unknown) =>
        console.warn('the browser refused to lock the mouse', error),
      );
      return;
    }
    if (mode === 'absolute') sendPosition(event);
    if (send({ type: 'button', button: event.button, down: true, t: performance.now() })) held.add(event.button);
  };
  // On the window: a button let go outside the picture must be let go in the game too.
  const onUp = (event: MouseEvent): void => {
    if (!held.delete(event.button)) return;
    send({ type: 'button', button: event.button, down: false, t: performance.now() });
  };
  const onWheel = (event: WheelEvent): void => {
    if (mode === 'relative' && !locked()) return;
    event.preventDefault();
    const notches = wheel.add(event.deltaX, event.deltaY, event.deltaMode);
    if (notches) send({ type: 'wheel', ...notches });
  };
  const onContextMenu = (event: Event): void => event.preventDefault();
  const releaseAll = (): void => {
    for (const button of held) send({ type: 'button', button, down: false });
    held.clear();
  };

  video.addEventListener('mousemove', onMove);
  video.addEventListener('mousedown', onDown);
  window.addEventListener('mouseup', onUp);
  video.addEventListener('wheel', onWheel, { passive: false });
  video.addEventListener('contextmenu', onContextMenu);
  window.addEventListener('blur', releaseAll);
  return {
    setMode(next) {
      mode = next;
      if (mode === 'absolute' && locked()) document.exitPointerLock();
    },
    stop() {
      video.removeEventListener('mousemove', onMove);
      video.removeEventListener('mousedown', onDown);
      window.removeEventListener('mouseup', onUp);
      video.removeEventListener('wheel', onWheel);
      video.removeEventListener('contextmenu', onContextMenu);
      window.removeEventListener('blur', releaseAll);
      if (locked()) document.exitPointerLock();
    },
  };
}
