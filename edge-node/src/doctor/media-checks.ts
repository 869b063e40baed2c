import { version as mediasoupVersion } from 'mediasoup';
import type { Logger } from 'pino';
import { describePaths } from '../runtime/media-paths.js';
import { findOnPath } from '../runtime/render-path.js';
import { VirtualDisplay } from '../runtime/virtual-display.js';
import { MediaWorker } from '../sfu/media-worker.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import type { MachineFacts } from './machine-facts.js';

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Rejects after `ms` with `what` in the message; the work itself goes on (and is cleaned up by its caller). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export function checkEncoders(facts: MachineFacts): CheckResult {
  const name = 'ffmpeg encoders';
  const { encoders } = facts;
  if (encoders.kind === 'unavailable') {
    return fail(
      'encoders',
      name,
      `${encoders.reason}: no session can be encoded`,
      'install ffmpeg (Debian/Ubuntu: apt install ffmpeg).',
    );
  }
  const names = encoders.encoders.map((encoder) => encoder.name);
  if (!names.includes('libx264')) {
    return fail(
      'encoders',
      name,
      `this ffmpeg has no libx264 (it lists: ${names.join(', ') || 'none of ours'}); every CPU-encoded session needs it`,
      "install an ffmpeg built with libx264 (Debian's and Ubuntu's ffmpeg packages are: apt install ffmpeg).",
    );
  }
  return ok('encoders', name, `libx264 is there (ffmpeg lists ${names.join(', ')})`);
}

/** Starts a real Xvfb display of a typical title's size, then stops it. */
export async function checkXvfb(facts: MachineFacts, logger: Logger): Promise<CheckResult> {
  const name = 'Xvfb';
  const needed = facts.paths.render.renderPath === 'xvfb';
  if ((await findOnPath('Xvfb')) === undefined) {
    const fix = 'install it (Debian/Ubuntu: apt install xvfb).';
    return needed
      ? fail('xvfb', name, 'Xvfb is not installed; every session renders on it here', fix)
      : warn('xvfb', name, 'Xvfb is not installed: a session whose Xorg fails has nothing to fall back to', fix);
  }
  const started = performance.now();
  try {
    const display = await VirtualDisplay.start({ width: 1280, height: 720, logger });
    await display.close();
    return ok('xvfb', name, `started ${display.display} (1280x720) and stopped it in ${seconds(started)}`);
  } catch (error) {
    return fail(
      'xvfb',
      name,
      `Xvfb did not start: ${(error as Error).message}`,
      'reinstall it (apt install --reinstall xvfb) and check that /tmp/.X11-unix is writable.',
    );
  }
}

/** Which path sessions will take here, and why: the decision `edge-node start` makes. */
export function checkSessionPaths(facts: MachineFacts, xorg: CheckResult | undefined): CheckResult {
  const { render, encode } = facts.paths;
  const fallback = render.renderPath === 'xorg-nvidia' && xorg?.status === 'fail';
  const how = fallback
    ? 'tries Xorg on the GPU, which failed above, then renders in software (Xvfb)'
    : describePaths(facts.paths);
  return ok(
    'session-paths',
    'session paths',
    `renderPath=${render.renderPath} encodePath=${encode.encodePath}: each session ${how}`,
  );
}

/** Starts the mediasoup worker (the SFU) with the node's port range and closes it. */
export async function checkMediaWorker(
  rtc: { rtcMinPort: number; rtcMaxPort: number },
  logger: Logger,
): Promise<CheckResult> {
  const name = 'mediasoup worker';
  const started = performance.now();
  const starting = MediaWorker.start({ logger, ...rtc });
  try {
    const worker = await within(starting, 20_000, 'the mediasoup worker');
    const pid = worker.pid;
    await worker.close();
    return ok(
      'mediasoup',
      name,
      `mediasoup ${mediasoupVersion} worker started (pid ${pid}) and stopped in ${seconds(started)}`,
    );
  } catch (error) {
    // A worker that starts after the deadline must not outlive the check; a start that
    // failed is the failure reported here.
    void starting.then(
      (late) => late.close(),
      () => undefined,
    );
    return fail(
      'mediasoup',
      name,
      `the SFU worker did not start: ${(error as Error).message}`,
      'run scripts/setup.sh from the EdgePlay checkout, which builds the worker and installs the libraries it links (or set MEDIASOUP_WORKER_BIN to a built mediasoup-worker).',
    );
  }
}
