import { access, constants } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import type { RenderPath } from '@edgeplay/shared';
import type { GpuProbe } from '../telemetry/gpu-probe.js';
import { xorgBusId } from './xorg-config.js';

export type { RenderPath };

/** A GPU an Xorg display can be opened on. */
export interface RenderGpu {
  model: string;
  /** Xorg's form, e.g. "PCI:25:0:0". */
  busId: string;
}

/** How this node's sessions get their display, and why, in words for the log and `doctor`. */
export type RenderPlan =
  | { renderPath: 'xorg-nvidia'; gpus: RenderGpu[]; xorg: string; modulePaths: string[]; reason: string }
  | { renderPath: 'xvfb'; reason: string; cause: SoftwareRenderCause };

/** Why a node renders in software: no GPU, or which piece a GPU node lacks. */
export type SoftwareRenderCause = 'cpu-only' | 'no-bus-id' | 'no-xorg' | 'no-nvidia-x-driver';

/** Where Xorg and the NVIDIA X driver were found on this machine (undefined: not found). */
export interface XorgInstall {
  xorg: string | undefined;
  /** Full path of nvidia_drv.so. */
  nvidiaDriver: string | undefined;
  /** Xorg's own module folder (the default that a config's ModulePath replaces). */
  moduleDir: string | undefined;
}

/** Xorg's default module folder on Debian/Ubuntu and on Fedora/RHEL. */
const DEFAULT_MODULE_PATHS = ['/usr/lib/xorg/modules', '/usr/lib64/xorg/modules'];

/**
 * Where NVIDIA's X driver lives: Xorg's module tree (Debian's packages, NVIDIA's .run
 * installer, Fedora/RHEL) or Ubuntu's separate folder.
 */
export const NVIDIA_DRIVER_CANDIDATES = [
  '/usr/lib/xorg/modules/drivers/nvidia_drv.so',
  '/usr/lib64/xorg/modules/drivers/nvidia_drv.so',
  '/usr/lib/x86_64-linux-gnu/nvidia/xorg/nvidia_drv.so',
  '/usr/lib/aarch64-linux-gnu/nvidia/xorg/nvidia_drv.so',
  '/usr/lib/nvidia/xorg/nvidia_drv.so',
];

/** Xorg's fix-it line for a missing X driver, used by the selector's reason and by `doctor`. */
export const NVIDIA_X_DRIVER_HINT =
  "install the NVIDIA X driver that matches the kernel driver (Debian: xserver-xorg-video-nvidia; Ubuntu: xserver-xorg-video-nvidia-<version>; NVIDIA's .run installer: do not pass --no-x-check)";

/**
 * The pure rule: a session renders on the GPU only when nvidia-smi found one (with a PCI bus
 * id Xorg can address) AND Xorg and the NVIDIA X driver are installed; otherwise in software
 * on Xvfb. Every "no" says why, since a GPU box rendering in software is the first thing an
 * operator should hear about.
 */
export function chooseRenderPath(gpu: GpuProbe, install: XorgInstall): RenderPlan {
  if (gpu.kind === 'cpu-only') {
    return {
      renderPath: 'xvfb',
      cause: 'cpu-only',
      reason: `CPU ONLY: ${gpu.reason}; titles render in software (Xvfb)`,
    };
  }
  const gpus: RenderGpu[] = [];
  for (const info of gpu.gpus) {
    if (info.pciBusId !== undefined) gpus.push({ model: info.model, busId: xorgBusId(info.pciBusId) });
  }
  if (gpus.length === 0) {
    return {
      renderPath: 'xvfb',
      cause: 'no-bus-id',
      reason: 'GPU present but nvidia-smi reported no PCI bus id for it: rendering in software (Xvfb)',
    };
  }
  if (install.xorg === undefined) {
    return {
      renderPath: 'xvfb',
      cause: 'no-xorg',
      reason: 'GPU present but Xorg is not installed (xserver-xorg-core): rendering in software (Xvfb)',
    };
  }
  if (install.nvidiaDriver === undefined) {
    return {
      renderPath: 'xvfb',
      cause: 'no-nvidia-x-driver',
      reason: 'GPU present but no Xorg nvidia driver (nvidia_drv.so): rendering in software (Xvfb)',
    };
  }
  const driverDir = dirname(install.nvidiaDriver);
  // nvidia_drv.so inside Xorg's own tree (…/modules/drivers) is found through the default path.
  const extra = driverDir.endsWith('/modules/drivers') ? [dirname(driverDir)] : [driverDir];
  const modulePaths = [...new Set([...extra, ...(install.moduleDir === undefined ? [] : [install.moduleDir])])];
  const models = [...new Set(gpus.map((g) => g.model))].join(', ');
  return {
    renderPath: 'xorg-nvidia',
    gpus,
    xorg: install.xorg,
    modulePaths,
    reason: `rendering on the GPU (${models}) through Xorg and the NVIDIA driver, one display per session`,
  };
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first folder on PATH that holds an executable `name`. */
export async function findOnPath(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  if (name.includes('/')) return (await executable(name)) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir && (await executable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

export interface LocateXorgOptions {
  /** Where to look for nvidia_drv.so (default: NVIDIA_DRIVER_CANDIDATES). */
  driverCandidates?: readonly string[];
  /** Xorg's module folders to look for (default: Debian's, then Fedora's). */
  moduleDirs?: readonly string[];
  /** PATH to search for Xorg (default: this process's). */
  path?: string;
}

async function firstReadable(candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) if (await readable(candidate)) return candidate;
  return undefined;
}

/** Looks for the Xorg program and NVIDIA's X driver module; only file checks, nothing runs. */
export async function locateXorgNvidia(options: LocateXorgOptions = {}): Promise<XorgInstall> {
  return {
    xorg: await findOnPath('Xorg', options.path),
    nvidiaDriver: await firstReadable(options.driverCandidates ?? NVIDIA_DRIVER_CANDIDATES),
    moduleDir: await firstReadable(options.moduleDirs ?? DEFAULT_MODULE_PATHS),
  };
}
