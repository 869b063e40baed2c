import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { gpuClassMeets, type StudioTitleManifest } from '@edgeplay/shared';
import { runBoundedCommand } from '../telemetry/bounded-command.js';
import { commandCandidates, refusalOf, type StudioTitlePolicy } from './studio-title-policy.js';

const DPKG_TIMEOUT_MS = 5000;

export type InstallVerdict =
  /** The node may offer the title; `commandPath` is what it runs (never looked up on PATH again). */
  { ok: true; commandPath: string } | { ok: false; reason: string };

export interface InstallCheckContext {
  policy: StudioTitlePolicy;
  /** This node's GPU class, for the title's `minGpuClass`. */
  gpuClass: string;
  /** Asks dpkg whether a package is installed; the real `dpkg-query` unless a test says otherwise. */
  debianPackageInstalled?: (name: string) => Promise<boolean | string>;
}

/**
 * Decides, on this machine, whether a studio title can run here: the operator allows studio
 * titles and its command, the command is an installed program, every path of its
 * `installCheck` exists, its Debian package is installed, and this node meets its
 * `minGpuClass`. Nothing the studio wrote is run to find out: the checks are file lookups
 * and one `dpkg-query` with the package name as an argument.
 */
export async function checkStudioTitle(
  manifest: StudioTitleManifest,
  context: InstallCheckContext,
): Promise<InstallVerdict> {
  const { policy } = context;
  if (policy.mode === 'off') return { ok: false, reason: 'this node runs no studio titles (STUDIO_TITLES=off)' };
  if (!gpuClassMeets(context.gpuClass, manifest.minGpuClass)) {
    return { ok: false, reason: `needs GPU class ${manifest.minGpuClass ?? '?'}; this node is ${context.gpuClass}` };
  }
  const candidates = commandCandidates(manifest.command, policy);
  if (candidates.length === 0) {
    return { ok: false, reason: `${manifest.command} is outside the folders this node allows (STUDIO_COMMAND_DIRS)` };
  }
  let commandPath: string | undefined;
  for (const candidate of candidates) {
    if (await isProgram(candidate)) {
      commandPath = candidate;
      break;
    }
  }
  if (!commandPath) {
    return { ok: false, reason: `${manifest.command} is not installed (looked for ${candidates.join(', ')})` };
  }
  const refusal = refusalOf(commandPath, await realpath(commandPath), policy);
  if (refusal) return { ok: false, reason: refusal };

  for (const path of manifest.installCheck?.paths ?? []) {
    if (!(await exists(path))) return { ok: false, reason: `install check: ${path} does not exist` };
  }
  const debianPackage = manifest.installCheck?.debianPackage;
  if (debianPackage !== undefined) {
    const installed = await (context.debianPackageInstalled ?? debianPackageInstalled)(debianPackage);
    if (installed !== true) {
      const why = typeof installed === 'string' ? `: ${installed}` : '';
      return { ok: false, reason: `install check: Debian package ${debianPackage} is not installed${why}` };
    }
  }
  return { ok: true, commandPath };
}

async function isProgram(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `dpkg-query -W -f '${Status}' NAME` → "install ok installed"; a string says why it could not tell. */
export async function debianPackageInstalled(name: string): Promise<boolean | string> {
  const outcome = await runBoundedCommand('dpkg-query', ['-W', '-f', '${Status}', '--', name], {
    timeoutMs: DPKG_TIMEOUT_MS,
    maxOutputBytes: 64 * 1024,
  });
  switch (outcome.kind) {
    case 'exited':
      return outcome.code === 0 && outcome.stdout.trim() === 'install ok installed';
    case 'not-found':
      return 'dpkg-query is not available on this machine';
    case 'timed-out':
      return `dpkg-query did not answer within ${DPKG_TIMEOUT_MS} ms`;
    case 'failed':
      return outcome.message;
  }
}
