import type { InputEvent } from '@edgeplay/shared';

/** Keys the page keeps for itself (so a player can always leave fullscreen or the tab). */
const PAGE_KEYS = new Set(['F5', 'F11', 'F12']);

/**
 * The player's keys, by physical code. Keys still held when the window loses focus are
 * released in the game too: the page will never see their keyup.
 */
export function captureKeyboard(send: (event: InputEvent) => boolean): () => void {
  const held = new Set<string>();
  const onKey = (event: KeyboardEvent, down: boolean): void => {
    if (event.repeat || PAGE_KEYS.has(event.code)) return;
    event.preventDefault();
    if (send({ type: 'key', code: event.code, down, t: performance.now() })) {
      if (down) held.add(event.code);
      else held.delete(event.code);
    }
  };
  const onKeyDown = (event: KeyboardEvent): void => onKey(event, true);
  const onKeyUp = (event: KeyboardEvent): void => onKey(event, false);
  const onBlur = (): void => {
    for (const code of held) send({ type: 'key', code, down: false });
    held.clear();
  };
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
  window.addEventListener('blur', onBlur);
  return () => {
    window.removeEventListener('keydown', onKeyDown);
    window.removeEventListener('keyup', onKeyUp);
    window.removeEventListener('blur', onBlur);
  };
}
