import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TitleManifest } from '@edgeplay/shared';
import { ManagedProcess } from './managed-process.js';

export interface TitleProcessOptions {
  manifest: TitleManifest;
  /** Folder holding the manifest; `${TITLE_DIR}` in args and env expands to it. */
  titleDir: string;
  display: string;
  /** Where its sound goes (the session's PulseAudio server); without it, SDL plays to nothing. */
  soundEnv?: Record<string, string>;
  logger: Logger;
}

function expand(value: string, titleDir: string): string {
  return value.replaceAll('${TITLE_DIR}', titleDir);
}

/**
 * The game itself, on the session's display. Each run gets a fresh HOME so that
 * saves and settings of one player never leak into another's session.
 */
export class TitleProcess {
  private constructor(
    readonly process: ManagedProcess,
    private readonly home: string,
  ) {}

  static async start(options: TitleProcessOptions): Promise<TitleProcess> {
    const { manifest, titleDir, display, logger } = options;
    const home = await mkdtemp(join(tmpdir(), `edgeplay-${manifest.id}-`));
    const env: NodeJS.ProcessEnv = {
      PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/games`,
      HOME: home,
      DISPLAY: display,
      LANG: 'C.UTF-8',
      SDL_AUDIODRIVER: 'dummy',
      ...options.soundEnv,
      ...Object.fromEntries(Object.entries(manifest.env).map(([key, value]) => [key, expand(value, titleDir)])),
    };
    const proc = new ManagedProcess({
      name: `title:${manifest.id}`,
      command: manifest.command,
      args: manifest.args.map((arg) => expand(arg, titleDir)),
      env,
      cwd: home,
      logger,
    });
    return new TitleProcess(proc, home);
  }

  async close(): Promise<void> {
    await this.process.close();
    await rm(this.home, { recursive: true, force: true });
  }
}
