/**
 * Browser `KeyboardEvent.code` → X11 keysym value (see X11/keysymdef.h). Physical key
 * codes are layout-independent, which is what a game wants.
 */
const NAMED = new Map<string, number>(
  Object.entries({
    Enter: 0xff0d,
    NumpadEnter: 0xff8d,
    Escape: 0xff1b,
    Space: 0x0020,
    Tab: 0xff09,
    Backspace: 0xff08,
    Delete: 0xffff,
    Insert: 0xff63,
    Home: 0xff50,
    End: 0xff57,
    PageUp: 0xff55,
    PageDown: 0xff56,
    ArrowLeft: 0xff51,
    ArrowUp: 0xff52,
    ArrowRight: 0xff53,
    ArrowDown: 0xff54,
    ShiftLeft: 0xffe1,
    ShiftRight: 0xffe2,
    ControlLeft: 0xffe3,
    ControlRight: 0xffe4,
    AltLeft: 0xffe9,
    AltRight: 0xffea,
    MetaLeft: 0xffeb,
    MetaRight: 0xffec,
    CapsLock: 0xffe5,
    Minus: 0x002d,
    Equal: 0x003d,
    BracketLeft: 0x005b,
    BracketRight: 0x005d,
    Backslash: 0x005c,
    Semicolon: 0x003b,
    Quote: 0x0027,
    Backquote: 0x0060,
    Comma: 0x002c,
    Period: 0x002e,
    Slash: 0x002f,
    Pause: 0xff13,
  }),
);

export function keysymForCode(code: string): number | undefined {
  const named = NAMED.get(code);
  if (named !== undefined) return named;
  const letter = /^Key([A-Z])$/.exec(code)?.[1];
  if (letter) return letter.toLowerCase().charCodeAt(0);
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(code)?.[1];
  if (digit) return code.startsWith('Numpad') ? 0xffb0 + Number(digit) : digit.charCodeAt(0);
  const fn = /^F([1-9]|1[0-2])$/.exec(code)?.[1];
  if (fn) return 0xffbe + Number(fn) - 1;
  return undefined;
}
