import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { XTestInjector } from '../src/input/xtest-injector.js';
import { startSessionDisplay } from '../src/runtime/session-display.js';
import { TitleProcess } from '../src/runtime/title-process.js';
import { XorgDisplay } from '../src/runtime/xorg-display.js';
import { isAlive } from '../../e2e/src/process-tree.js';

const run = promisify(execFile);
const TITLES = new URL('../titles/', import.meta.url).pathname;

/** The mean brightness (0–255) of one frame grabbed from the display, as the encoder grabs it. */
async function brightness(display: string, width: number, height: number): Promise<number> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-loglevel',
      'error',
      '-f',
      'x11grab',
      '-video_size',
      `${width}x${height}`,
      '-i',
      display,
      '-frames:v',
      '1',
      '-pix_fmt',
      'gray',
      '-f',
      'rawvideo',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: width * height * 2 },
  );
  let sum = 0;
  for (const value of stdout) sum += value;
  return sum / stdout.length;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const logger = pino({ level: 'silent' });
/** Debian's Xorg module folder (xserver-xorg-core; scripts/setup.sh installs it with the dummy driver). */
const MODULES = ['/usr/lib/xorg/modules'];

/** The folder the display's config lives in: the one argument after -config, less the file. */
function configDirOf(display: XorgDisplay): string {
  const args = display.process.child.spawnargs;
  const config = args[args.indexOf('-config') + 1] ?? '';
  return config.replace(/\/xorg\.conf$/, '');
}

/*
 * No NVIDIA GPU exists on the test machines, so the real Xorg runs here with its software
 * `dummy` driver: the same config writer, command line, -displayfd handshake and close(),
 * with another Device section.
 */
describe('an Xorg display per session (real Xorg, dummy driver)', () => {
  it('starts a screen exactly the title size with XTEST, and close() leaves no process or file behind', async () => {
    const display = await XorgDisplay.start({
      width: 1280,
      height: 720,
      device: { driver: 'dummy' },
      modulePaths: MODULES,
      logger,
    });
    const pid = display.process.pid ?? -1;
    const dir = configDirOf(display);
    try {
      expect(display.display).toMatch(/^:\d+$/);
      expect(existsSync(`${dir}/xorg.conf`)).toBe(true);
      const { stdout } = await run('xdpyinfo', ['-display', display.display]);
      expect(stdout).toMatch(/dimensions:\s+1280x720 pixels/);
      expect(stdout).toContain('XTEST');
      expect(stdout).toContain('GLX');
    } finally {
      await display.close();
    }
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(run('xdpyinfo', ['-display', display.display])).rejects.toThrow();
  });

  it('runs a title that the player steers through XTEST, and the encoder grabs its picture', async () => {
    const display = await XorgDisplay.start({
      width: 320,
      height: 240,
      device: { driver: 'dummy' },
      modulePaths: MODULES,
      logger,
    });
    const manifest = {
      id: 'latency-probe',
      name: 'Latency probe',
      command: 'node',
      args: ['${TITLE_DIR}/probe/color-flip.mjs'],
      env: {},
      resolution: { width: 320, height: 240 },
      fps: 30,
      audio: false,
    };
    const title = await TitleProcess.start({ manifest, titleDir: TITLES, display: display.display, logger });
    let injector: XTestInjector | undefined;
    try {
      // The probe fills the screen black, and flips to white on a key press.
      await until(
        'the title has drawn its black window',
        async () => (await brightness(display.display, 320, 240)) < 1,
      );
      injector = await XTestInjector.connect(display.display);
      injector.key('Space', true);
      injector.key('Space', false);
      await until('the key turned the window white', async () => (await brightness(display.display, 320, 240)) > 254);
    } finally {
      await injector?.close();
      await title.close();
      await display.close();
    }
  });

  it('gives two sessions two displays', async () => {
    const options = { width: 800, height: 600, device: { driver: 'dummy' as const }, modulePaths: MODULES, logger };
    const [a, b] = await Promise.all([XorgDisplay.start(options), XorgDisplay.start(options)]);
    try {
      expect(a.display).not.toBe(b.display);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("fails with Xorg's own reason when the NVIDIA driver is missing, and cleans up", async () => {
    const before = new Set(
      (await run('ls', ['/tmp'])).stdout.split('\n').filter((name) => name.startsWith('edgeplay-xorg-')),
    );
    await expect(
      XorgDisplay.start({
        width: 1280,
        height: 720,
        device: { driver: 'nvidia', busId: 'PCI:25:0:0' },
        modulePaths: MODULES,
        logger,
      }),
    ).rejects.toThrow(/^Xorg exited before it was ready: .*Failed to load module "nvidia"/);
    const after = (await run('ls', ['/tmp'])).stdout.split('\n').filter((name) => name.startsWith('edgeplay-xorg-'));
    expect(after.filter((name) => !before.has(name))).toEqual([]);
  });

  it('serves the session from Xvfb when Xorg fails on the GPU, and warns why', async () => {
    const logged: { msg: string; busId?: string; error?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as never);
        done();
      },
    });
    const display = await startSessionDisplay(
      {
        renderPath: 'xorg-nvidia',
        gpus: [{ model: 'NVIDIA L4', busId: 'PCI:56:0:0' }],
        xorg: 'Xorg',
        modulePaths: MODULES,
        reason: 'test',
      },
      { sessionId: 'fallback-session', width: 640, height: 480, logger: pino({ level: 'warn' }, sink) },
    );
    try {
      expect(display.renderPath).toBe('xvfb');
      const { stdout } = await run('xdpyinfo', ['-display', display.display]);
      expect(stdout).toMatch(/dimensions:\s+640x480 pixels/);
    } finally {
      await display.close();
    }
    const warning = logged.find((line) => line.msg.startsWith('Xorg failed to start on the GPU'));
    expect(warning?.msg).toBe('Xorg failed to start on the GPU: this session renders in software (Xvfb)');
    expect(warning?.busId).toBe('PCI:56:0:0');
    expect(warning?.error).toContain('Failed to load module "nvidia"');
  });

  it('starts Xvfb when the plan says software', async () => {
    const display = await startSessionDisplay(
      { renderPath: 'xvfb', cause: 'cpu-only', reason: 'CPU ONLY' },
      { sessionId: 's', width: 320, height: 240, logger },
    );
    try {
      expect(display.renderPath).toBe('xvfb');
      expect(display.process.name).toBe('xvfb');
    } finally {
      await display.close();
    }
    expect(display.process.running).toBe(false);
  });
});
