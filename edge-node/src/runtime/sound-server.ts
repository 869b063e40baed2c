import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ManagedProcess } from './managed-process.js';

export interface SoundServerOptions {
  logger: Logger;
  startTimeoutMs?: number;
}

/** The null sink every session's game plays into; its monitor is what the encoder records. */
export const GAME_SINK = 'game';

/**
 * A private PulseAudio server for one session: no system daemon, no D-Bus, no config of
 * the machine's. It runs in its own runtime folder with one null sink (`game`, 48 kHz
 * stereo, the rate Opus encodes at, so nothing resamples) and one unix socket that
 * accepts anonymous clients. Clients may not load modules or stop the server.
 *
 * `--exit-idle-time=-1`: a game that plays nothing for a while must not lose its server.
 * As root PulseAudio warns that it is "not intended to be run as root" but runs; the
 * `--system` mode it suggests is one shared daemon for the machine, the opposite of what
 * sessions need.
 */
export class SoundServer {
  private constructor(
    readonly process: ManagedProcess,
    private readonly dir: string,
    /** `unix:<path>`, for PULSE_SERVER and ffmpeg's `-server`. */
    readonly server: string,
    /** A client.conf that stops libpulse from ever spawning a daemon of its own. */
    readonly clientConfig: string,
  ) {}

  static async start(options: SoundServerOptions): Promise<SoundServer> {
    const { logger } = options;
    const dir = await mkdtemp(join(tmpdir(), 'edgeplay-pulse-'));
    const home = join(dir, 'home');
    const runtime = join(dir, 'run');
    const socket = join(runtime, 'native');
    const clientConfig = join(dir, 'client.conf');
    let proc: ManagedProcess | undefined;
    try {
      await writeFile(clientConfig, 'autospawn = no\n');
      proc = new ManagedProcess({
        name: 'pulseaudio',
        command: 'pulseaudio',
        args: [
          '--daemonize=no',
          '--use-pid-file=no',
          '--system=no',
          '-n',
          '--exit-idle-time=-1',
          '--disallow-exit',
          '--disallow-module-loading',
          '--realtime=no',
          '--high-priority=no',
          '--log-target=stderr',
          '--log-level=notice',
          '-L',
          `module-null-sink sink_name=${GAME_SINK} rate=48000 channels=2`,
          // Loaded after the sink: once the socket answers, the sink exists.
          '-L',
          `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
        ],
        // Only what it needs: no DISPLAY (it would try to launch a D-Bus daemon for it)
        // and no user's HOME or runtime folder.
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          XDG_RUNTIME_DIR: runtime,
          XDG_CONFIG_HOME: join(home, '.config'),
          PULSE_CLIENTCONFIG: clientConfig,
          LANG: 'C.UTF-8',
        },
        cwd: dir,
        logger,
      });
      await waitForSocket(socket, proc, options.startTimeoutMs ?? 10_000);
      return new SoundServer(proc, dir, `unix:${socket}`, clientConfig);
    } catch (error) {
      await proc?.close();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** What a title's environment needs to play into this server's game sink. */
  get clientEnv(): Record<string, string> {
    return {
      PULSE_SERVER: this.server,
      PULSE_SINK: GAME_SINK,
      PULSE_CLIENTCONFIG: this.clientConfig,
      // SDL 2 picks ALSA first otherwise; OpenAL Soft and plain libpulse clients find
      // the server through PULSE_SERVER alone.
      SDL_AUDIODRIVER: 'pulseaudio',
    };
  }

  /** The source that carries whatever the game plays (silence when it plays nothing). */
  get monitorSource(): string {
    return `${GAME_SINK}.monitor`;
  }

  async close(): Promise<void> {
    await this.process.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once the server accepts connections on its socket; rejects if it dies first. */
async function waitForSocket(path: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (!exited && Date.now() < deadline) {
    if (await accepts(path)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    exited ? `pulseaudio exited before it was ready: ${proc.lastErrors}` : 'pulseaudio did not open its socket in time',
  );
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
