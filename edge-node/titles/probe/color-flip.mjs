#!/usr/bin/env node
// EdgePlay's latency probe title: one window filling the display that flips between
// black and white on every key press and mouse click, and beeps. It exists to measure
// input-to-photon time (the reaction is one redraw, ~1 ms) and to prove that sound reaches
// the player; real titles prove playability, this one proves speed. Its window name tells
// what it last received ("…: button 1 at 320,540", "…: key 65 at 640,360"), which tests
// read from the session's display.
import x11 from 'x11';
import { createBeeper } from './beep.mjs';

const KEY_PRESS = 2;
const BUTTON_PRESS = 4;
const NAME = 'EdgePlay latency probe';
const EXPOSE = 12;

x11.createClient({ display: process.env.DISPLAY ?? ':0' }, (error, display) => {
  if (error) {
    console.error(`color-flip: cannot open display: ${error.message}`);
    process.exit(1);
  }
  const X = display.client;
  const screen = display.screen[0];
  const { root, pixel_width: width, pixel_height: height } = screen;
  const colors = [screen.black_pixel, screen.white_pixel];
  let current = 0;

  const wid = X.AllocID();
  X.CreateWindow(wid, root, 0, 0, width, height, 0, 0, 0, 0, {
    backgroundPixel: colors[current],
    eventMask: x11.eventMask.KeyPress | x11.eventMask.ButtonPress | x11.eventMask.Exposure,
  });
  X.ChangeProperty(0, wid, X.atoms.WM_NAME, X.atoms.STRING, 8, NAME);
  X.MapWindow(wid);
  const gc = X.AllocID();
  X.CreateGC(gc, wid, { foreground: colors[current] });

  const paint = () => {
    X.ChangeGC(gc, { foreground: colors[current] });
    X.PolyFillRectangle(wid, gc, [0, 0, width, height]);
  };

  const beep = createBeeper();
  X.on('event', (event) => {
    if (event.type === KEY_PRESS || event.type === BUTTON_PRESS) {
      // Buttons 4-7 are the wheel: they only show in the name.
      if (event.type === KEY_PRESS || event.keycode <= 3) {
        current = 1 - current;
        paint();
        beep();
      }
      const heard = `${event.type === KEY_PRESS ? 'key' : 'button'} ${event.keycode} at ${event.x},${event.y}`;
      X.ChangeProperty(0, wid, X.atoms.WM_NAME, X.atoms.STRING, 8, `${NAME}: ${heard}`);
    } else if (event.type === EXPOSE) {
      paint();
    }
  });
  X.on('error', (xError) => console.error(`color-flip: X error ${xError.message}`));
  X.on('end', () => process.exit(0));
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
