#!/usr/bin/env node
// EdgePlay's motion test title: a full-screen picture that changes everywhere on every
// frame — a colour gradient under moving film grain, with a bar sweeping across — so that
// the encoder spends whatever bitrate it is given, like a busy game scene. It exists to
// test adaptive bitrate: the latency probe's flat colours cost an encoder nothing.
//
// The grain is made once: a few pixmaps of noise in the X server. Each frame copies one of
// them at a random offset (one blit in the server, no pixels cross the socket), so the
// title itself costs little CPU while no two consecutive frames predict each other.
import { randomBytes } from 'node:crypto';
import x11 from 'x11';

const NAME = 'EdgePlay motion test';
const FPS = Number(process.env.MOTION_FPS ?? 60);
const TILES = 4;
const MARGIN = 64;
const GRAIN = 28;

/** A random byte as grain of ±GRAIN, and a channel value held to 0–255. */
const grain = (byte) => ((byte * (2 * GRAIN + 1)) >> 8) - GRAIN;
const clamp = (value) => (value < 0 ? 0 : value > 255 ? 255 : value);

x11.createClient({ display: process.env.DISPLAY ?? ':0' }, (error, display) => {
  if (error) {
    console.error(`grain: cannot open display: ${error.message}`);
    process.exit(1);
  }
  const X = display.client;
  const screen = display.screen[0];
  const { root, pixel_width: width, pixel_height: height, root_depth: depth } = screen;

  const wid = X.AllocID();
  X.CreateWindow(wid, root, 0, 0, width, height, 0, 0, 0, 0, { backgroundPixel: screen.black_pixel });
  X.ChangeProperty(0, wid, X.atoms.WM_NAME, X.atoms.STRING, 8, NAME);
  X.MapWindow(wid);
  const gc = X.AllocID();
  X.CreateGC(gc, wid, { foreground: screen.white_pixel });

  // Tiles: gradient + grain, a little larger than the screen so a random offset still covers it.
  const tileW = width + MARGIN;
  const tileH = height + MARGIN;
  const tiles = [];
  const rows = Math.max(1, Math.floor(200_000 / (tileW * 4)));
  for (let t = 0; t < TILES; t++) {
    const pixmap = X.AllocID();
    X.CreatePixmap(pixmap, wid, depth, tileW, tileH);
    for (let y0 = 0; y0 < tileH; y0 += rows) {
      const h = Math.min(rows, tileH - y0);
      // Native random bytes, then integer arithmetic: the tiles are ready in a blink, even on a busy machine.
      const data = randomBytes(tileW * h * 4);
      for (let y = 0; y < h; y++) {
        const green = (((y0 + y) * 255) / tileH) | 0;
        for (let x = 0; x < tileW; x++) {
          const i = (y * tileW + x) * 4;
          data[i] = clamp(((x * 255) / tileW + grain(data[i])) | 0); // blue
          data[i + 1] = clamp(green + grain(data[i + 1]));
          data[i + 2] = clamp(128 + grain(data[i + 2])); // red
        }
      }
      X.PutImage(2, pixmap, gc, tileW, h, 0, y0, 0, depth, data);
    }
    tiles.push(pixmap);
  }

  let frame = 0;
  const barWidth = Math.max(8, Math.round(width / 40));
  setInterval(() => {
    frame += 1;
    const tile = tiles[frame % TILES];
    const dx = Math.floor(Math.random() * MARGIN);
    const dy = Math.floor(Math.random() * MARGIN);
    X.CopyArea(tile, wid, gc, dx, dy, 0, 0, width, height);
    const x = Math.round(((frame * 8) % (width + barWidth)) - barWidth);
    X.PolyFillRectangle(wid, gc, [x, 0, barWidth, height]);
  }, 1000 / FPS);

  X.on('error', (xError) => console.error(`grain: X error ${xError.message}`));
  X.on('end', () => process.exit(0));
});
