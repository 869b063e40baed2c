import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputEvent, TitleManifest } from '@edgeplay/shared';
import { SessionInput } from '../src/input/session-input.js';
import { TitleProcess } from '../src/runtime/title-process.js';
import { VirtualDisplay } from '../src/runtime/virtual-display.js';
import { loadTitles } from '../src/titles/title-catalog.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const message = (event: InputEvent | string): Buffer =>
  Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));

/**
 * The edge's input path against a real Xvfb and the latency-probe title, which names its
 * window after the last key or button it received: what XTEST really delivered.
 */
describe('SessionInput on a real display', () => {
  let display: VirtualDisplay;
  let title: TitleProcess;
  let manifest: TitleManifest;
  let input: SessionInput;

  const xdotool = async (...args: string[]): Promise<string> =>
    (await run('xdotool', args, { env: { ...process.env, DISPLAY: display.display } })).stdout.trim();
  const pointer = async (): Promise<string> => {
    const out = await xdotool('getmouselocation');
    return /x:(\d+) y:(\d+)/.exec(out)?.slice(1, 3).join(',') ?? out;
  };
  const heard = async (): Promise<string> => {
    const names = await xdotool('search', '--name', 'EdgePlay latency probe', 'getwindowname', '%@').catch(() => '');
    return names.split(': ')[1] ?? '';
  };

  beforeAll(async () => {
    const installed = (await loadTitles(join(import.meta.dirname, '..', 'titles'), ['latency-probe'])).get(
      'latency-probe',
    );
    if (!installed) throw new Error('the latency-probe title is missing');
    manifest = installed.manifest;
    display = await VirtualDisplay.start({ ...manifest.resolution, logger });
    title = await TitleProcess.start({ manifest, titleDir: installed.dir, display: display.display, logger });
    // The probe maps its window a moment after it starts.
    for (let tries = 0; !(await xdotool('search', '--name', 'EdgePlay latency probe').catch(() => '')); tries++) {
      if (tries > 100) throw new Error('the probe window never appeared');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    input = await SessionInput.connect({ display: display.display, manifest, logger });
  });

  afterAll(async () => {
    await input?.close();
    await title?.close();
    await display?.close();
  });

  it('starts with the pointer parked in the middle, over the game', async () => {
    expect(await pointer()).toBe('640,360');
  });

  it('moves the pointer to the pixel under an absolute point of the picture', async () => {
    expect(input.handle(message({ type: 'move', x: 0.25, y: 0.75 }))).toBeUndefined();
    await expect.poll(pointer).toBe('320,540');
  });

  it('clicks there: the game hears button 1 at that point', async () => {
    input.handle(message({ type: 'button', button: 0, down: true }));
    input.handle(message({ type: 'button', button: 0, down: false }));
    await expect.poll(heard).toBe('button 1 at 320,540');
    input.handle(message({ type: 'button', button: 2, down: true }));
    input.handle(message({ type: 'button', button: 2, down: false }));
    await expect.poll(heard).toBe('button 3 at 320,540');
  });

  it('turns wheel notches into clicks of buttons 5 (down), 4 (up) and 7 (right)', async () => {
    input.handle(message({ type: 'wheel', dx: 0, dy: 1 }));
    await expect.poll(heard).toBe('button 5 at 320,540');
    input.handle(message({ type: 'wheel', dx: 0, dy: -2 }));
    await expect.poll(heard).toBe('button 4 at 320,540');
    input.handle(message({ type: 'wheel', dx: 1, dy: 0 }));
    await expect.poll(heard).toBe('button 7 at 320,540');
  });

  it('moves the pointer relatively, and the X server keeps it on the screen', async () => {
    input.handle(message({ type: 'move-rel', dx: 10, dy: -20 }));
    await expect.poll(pointer).toBe('330,520');
    input.handle(message({ type: 'move-rel', dx: 4000, dy: 4000 }));
    await expect.poll(pointer).toBe('1279,719');
  });

  it('clamps an absolute point off the picture to the screen edge', async () => {
    input.handle(message({ type: 'move', x: -3, y: 0.5 }));
    await expect.poll(pointer).toBe('0,360');
    input.handle(message({ type: 'move', x: 0.5, y: 1e300 }));
    await expect.poll(pointer).toBe('640,719');
  });

  it('presses the key the title maps a gamepad button to, as a real key would', async () => {
    input.handle(message({ type: 'move', x: 0.5, y: 0.5 }));
    input.handle(message({ type: 'key', code: 'Space', down: true }));
    input.handle(message({ type: 'key', code: 'Space', down: false }));
    await expect.poll(heard).toMatch(/^key \d+ at 640,360$/);
    const space = await heard();
    input.handle(message({ type: 'button', button: 0, down: true }));
    input.handle(message({ type: 'button', button: 0, down: false }));
    await expect.poll(heard).toBe('button 1 at 640,360');
    // The probe maps button 0 (A) to Space.
    input.handle(message({ type: 'pad', i: 2, b: 1, a: [0, 0, 0, 0] }));
    await expect.poll(heard).toBe(space);
    input.handle(message({ type: 'pad', i: 2, b: 0, a: [0, 0, 0, 0] }));
  });

  it('answers junk with a coded rejection and injects nothing', async () => {
    const before = await pointer();
    expect(input.handle(message('{"type":"move","x":"far"}'))).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(input.handle(message({ type: 'pad', i: 7, b: 0, a: [] } as unknown as InputEvent))).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    expect(await pointer()).toBe(before);
  });
});
