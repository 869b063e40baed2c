import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { descendants } from './process-tree.js';

const run = promisify(execFile);

/**
 * The X display of the session running `program` under the edge node (read from the
 * game's environment: Xvfb picks its own number), so a test can look at what the game sees.
 */
export function sessionDisplay(edgePid: number, program: (args: string) => boolean): string {
  const game = descendants(edgePid).find((p) => program(p.args));
  if (!game) throw new Error('no game process of that kind runs under the edge node');
  const display = readFileSync(`/proc/${game.pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('DISPLAY='));
  if (!display) throw new Error(`the game (${game.pid}) has no DISPLAY`);
  return display.slice('DISPLAY='.length);
}

/** Runs xdotool against a display and returns what it printed. */
export async function xdotool(display: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('xdotool', args, { env: { ...process.env, DISPLAY: display } });
  return stdout.trim();
}

/** Where the pointer is on that display. */
export async function pointerOn(display: string): Promise<{ x: number; y: number }> {
  const out = await xdotool(display, 'getmouselocation');
  const match = /x:(\d+) y:(\d+)/.exec(out);
  if (!match) throw new Error(`xdotool said "${out}"`);
  return { x: Number(match[1]), y: Number(match[2]) };
}
