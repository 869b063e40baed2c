import type { Logger } from 'pino';
import { chooseEncodePath } from '../runtime/encode-path.js';
import { NVIDIA_X_DRIVER_HINT, type RenderPlan } from '../runtime/render-path.js';
import { XorgDisplay } from '../runtime/xorg-display.js';
import { fail, ok, skip, warn, type CheckResult } from './check-result.js';
import type { MachineFacts } from './machine-facts.js';

const DRIVER = 'NVIDIA driver';

export function checkNvidiaDriver(facts: MachineFacts): CheckResult {
  const { gpu } = facts;
  if (gpu.kind === 'nvidia') {
    const models = gpu.gpus.map((info) => info.model).join(', ');
    const plural = gpu.gpus.length === 1 ? 'GPU' : 'GPUs';
    return ok('nvidia-driver', DRIVER, `driver ${gpu.gpus[0]?.driverVersion}, ${gpu.gpus.length} ${plural}: ${models}`);
  }
  if (facts.nvidiaSmi === undefined) {
    return warn(
      'nvidia-driver',
      DRIVER,
      'nvidia-smi was not found, so this is a CPU-only node: titles render in software and encode on the CPU',
      'if this machine has an NVIDIA GPU, install the NVIDIA driver (Debian: apt install nvidia-driver; or NVIDIA\'s installer) and check that "nvidia-smi" lists the GPU. A machine without one needs nothing.',
    );
  }
  return warn(
    'nvidia-driver',
    DRIVER,
    `nvidia-smi is installed but does not work (${gpu.reason}), so this node runs CPU only`,
    'reboot if the driver was just updated; otherwise reinstall the NVIDIA driver so that its kernel module and nvidia-smi match, then run "nvidia-smi" until it lists the GPU.',
  );
}

export function checkNvenc(facts: MachineFacts): CheckResult {
  const { gpu, encoders, paths } = facts;
  const name = 'NVENC';
  if (gpu.kind === 'cpu-only') return skip('nvenc', name, 'no NVIDIA GPU: sessions encode with x264 on the CPU');
  const rule = chooseEncodePath(gpu, encoders);
  if (paths.encode.encodePath === 'h264_nvenc') {
    return ok('nvenc', name, `${paths.encode.reason} (a one-frame test encode worked)`);
  }
  if (rule.encodePath === 'h264_nvenc') {
    // The GPU has NVENC and ffmpeg lists it, but the test encode failed.
    return warn(
      'nvenc',
      name,
      paths.encode.reason,
      "install the driver's CUDA and encode libraries for its exact version (Debian: libcuda1 and libnvidia-encode1; Ubuntu: libnvidia-compute-<version> and libnvidia-encode-<version>); in a container, add video to NVIDIA_DRIVER_CAPABILITIES. Then run doctor again.",
    );
  }
  if (gpu.gpus.every((info) => !info.encoder.supported)) {
    return warn(
      'nvenc',
      name,
      `${rule.reason}; titles still render on the GPU, and x264 needs about a third of a CPU core per 720p60 session`,
      'nothing to install: this GPU model (H100, H200, A100 class) has no video encoder. Set MAX_SESSIONS to what the CPU cores can encode, or use a GPU with NVENC (GeForce RTX, RTX A/Ada, L4, L40, T4).',
    );
  }
  return warn(
    'nvenc',
    name,
    rule.reason,
    "install an ffmpeg built with NVENC (Debian's and Ubuntu's ffmpeg packages are: apt install ffmpeg).",
  );
}

function xorgFix(plan: Extract<RenderPlan, { renderPath: 'xvfb' }>): string {
  switch (plan.cause) {
    case 'no-xorg':
      return 'install Xorg (Debian/Ubuntu: apt install xserver-xorg-core), then run doctor again.';
    case 'no-nvidia-x-driver':
      return `${NVIDIA_X_DRIVER_HINT}, then run doctor again.`;
    case 'no-bus-id':
      return 'update the NVIDIA driver: this nvidia-smi does not report the GPU\'s PCI bus id ("nvidia-smi -q" should show "Bus Id").';
    case 'cpu-only':
      return 'install the NVIDIA driver first (see above).';
  }
}

/**
 * With a GPU, Xorg and the NVIDIA X driver, starts a real Xorg display on the first GPU
 * (the way a session would) and stops it again.
 */
export async function checkXorgNvidia(facts: MachineFacts, logger: Logger): Promise<CheckResult> {
  const name = 'Xorg + NVIDIA driver';
  const plan = facts.paths.render;
  if (facts.gpu.kind === 'cpu-only') {
    return skip('xorg-nvidia', name, 'only used with an NVIDIA GPU; this node renders on Xvfb');
  }
  if (plan.renderPath === 'xvfb') return warn('xorg-nvidia', name, plan.reason, xorgFix(plan));
  const gpu = plan.gpus[0];
  if (gpu === undefined) return warn('xorg-nvidia', name, 'no GPU to open a display on', 'update the NVIDIA driver.');
  const started = performance.now();
  try {
    const display = await XorgDisplay.start({
      width: 1280,
      height: 720,
      device: { driver: 'nvidia', busId: gpu.busId },
      modulePaths: plan.modulePaths,
      command: plan.xorg,
      logger,
    });
    await display.close();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return ok(
      'xorg-nvidia',
      name,
      `started Xorg on ${gpu.model} (${gpu.busId}) as ${display.display} and stopped it in ${seconds} s: titles render on the GPU`,
    );
  } catch (error) {
    return fail(
      'xorg-nvidia',
      name,
      `Xorg did not start on ${gpu.model} (${gpu.busId}): ${(error as Error).message}. Each session would try it, then fall back to software`,
      'the usual causes: the NVIDIA X driver and kernel module have different versions (reinstall the driver), or the driver is not loaded ("nvidia-smi" fails). Xorg\'s (EE) lines above say which.',
    );
  }
}
