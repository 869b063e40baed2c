import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { awaitDisplayNumber } from './display-number.js';
import { ManagedProcess } from './managed-process.js';
import { xorgConfig, type XorgDevice } from './xorg-config.js';

export interface XorgDisplayOptions {
  width: number;
  height: number;
  device: XorgDevice;
  /** Module folders for the config's Files section (see XorgConfigOptions). */
  modulePaths: readonly string[];
  logger: Logger;
  /** The Xorg program (default: found on PATH). */
  command?: string;
  /** The NVIDIA driver can take a few seconds to bring a GPU up. */
  startTimeoutMs?: number;
}

/** Lines of Xorg's error output that never explain a failed start here. */
const NOISE =
  /dbus|module "(mouse|kbd|libinput)"|input driver|Please also check the log|Server terminated|warning, \(EE\) error/i;

/**
 * Xorg keeps the reason it refused to start in its log, as (EE) lines: e.g. `Failed to load
 * module "nvidia"`, `No devices detected`. The folder (and log) is removed afterwards, so the
 * lines travel in the error.
 */
async function xorgErrors(logPath: string, fallback: string): Promise<string> {
  try {
    const log = await readFile(logPath, 'utf8');
    const errors = log
      .split('\n')
      .filter((line) => line.includes('(EE)') && !NOISE.test(line))
      .map((line) =>
        line
          .replace(/^\[\s*[\d.]+\]\s*/, '')
          .replaceAll('(EE)', '')
          .trim(),
      )
      .filter((line) => line !== '');
    return errors.length ? errors.slice(-5).join('; ') : fallback;
  } catch {
    return fallback;
  }
}

/**
 * One session's X server on a GPU: Xorg with a config of its own (written to a private
 * folder, removed on close) that puts one screen of the title's size on one NVIDIA GPU with
 * no monitor attached. Games draw with the GPU's OpenGL/Vulkan; the encoder grabs the
 * picture from this display like from Xvfb. Like Xvfb it chooses a free display number
 * itself (-displayfd) and survives its last client leaving (-noreset).
 *
 * close() resolves once the server process is gone and its folder is removed.
 */
export class XorgDisplay {
  private constructor(
    readonly process: ManagedProcess,
    readonly display: string,
    readonly width: number,
    readonly height: number,
    private readonly dir: string,
  ) {}

  static async start(options: XorgDisplayOptions): Promise<XorgDisplay> {
    const { width, height, logger } = options;
    const dir = await mkdtemp(join(tmpdir(), 'edgeplay-xorg-'));
    const configPath = join(dir, 'xorg.conf');
    const logPath = join(dir, 'Xorg.log');
    let proc: ManagedProcess | undefined;
    try {
      await writeFile(
        configPath,
        xorgConfig({ device: options.device, width, height, modulePaths: options.modulePaths }),
      );
      // Xorg ignores a config folder with no *.conf in it and falls back to /etc/X11/xorg.conf.d,
      // whose snippets (written for a desktop on this machine) must not leak into a session.
      await mkdir(join(dir, 'conf.d'));
      await writeFile(join(dir, 'conf.d', '00-edgeplay.conf'), '# Intentionally empty: see xorg.conf.\n');
      proc = new ManagedProcess({
        name: 'xorg',
        command: options.command ?? 'Xorg',
        args: [
          '-displayfd',
          '3',
          '-config',
          configPath,
          '-configdir',
          join(dir, 'conf.d'),
          '-logfile',
          logPath,
          '-noreset',
          '-nolisten',
          'tcp',
          '-ac',
          // Headless: never take over or switch the machine's virtual terminals.
          '-novtswitch',
          '-sharevts',
          '+extension',
          'GLX',
        ],
        logger,
        extraStdio: ['pipe'],
      });
      const running = proc;
      const number = await awaitDisplayNumber(running, 'Xorg', options.startTimeoutMs ?? 20_000, () =>
        xorgErrors(logPath, running.lastErrors),
      );
      return new XorgDisplay(running, `:${number}`, width, height, dir);
    } catch (error) {
      await proc?.close();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async close(): Promise<unknown> {
    const exit = await this.process.close();
    await rm(this.dir, { recursive: true, force: true });
    return exit;
  }
}
