import type { Logger } from 'pino';
import type { EncodePath, RenderPath } from '@edgeplay/shared';
import type { EncoderProbe } from '../telemetry/encoder-probe.js';
import type { GpuProbe } from '../telemetry/gpu-probe.js';
import { chooseEncodePath, testNvencEncode, type EncodeChoice, type NvencTestOptions } from './encode-path.js';
import { chooseRenderPath, locateXorgNvidia, type LocateXorgOptions, type RenderPlan } from './render-path.js';

/** How this node's sessions render and encode, decided once at start. */
export interface MediaPaths {
  render: RenderPlan;
  encode: EncodeChoice;
}

/** What one session uses; its render path can differ from the plan when Xorg failed for it. */
export interface SessionPaths {
  renderPath: RenderPath | undefined;
  encodePath: EncodePath;
}

export interface MediaPathsOptions {
  gpu: GpuProbe;
  encoders: EncoderProbe;
  logger: Logger;
  locate?: LocateXorgOptions;
  nvenc?: NvencTestOptions;
}

/**
 * Decides the render and encode paths from the machine probe: looks for Xorg and the NVIDIA
 * X driver, and when NVENC is the choice, proves it with a one-frame encode (falling back to
 * x264 if that fails, rather than failing every session). Logs both decisions in plain words.
 */
export async function probeMediaPaths(options: MediaPathsOptions): Promise<MediaPaths> {
  const { gpu, encoders, logger } = options;
  const render = chooseRenderPath(gpu, await locateXorgNvidia(options.locate));
  let encode = chooseEncodePath(gpu, encoders);
  if (encode.encodePath === 'h264_nvenc') {
    const test = await testNvencEncode(options.nvenc);
    if (!test.ok) encode = { encodePath: 'libx264', reason: `${test.reason}: encoding with x264 on the CPU` };
  }
  // A GPU box that renders or encodes in software earns less and serves fewer players: warn.
  const gpuWasted = gpu.kind === 'nvidia';
  const renderLog = { renderPath: render.renderPath, reason: render.reason };
  if (render.renderPath === 'xvfb' && gpuWasted) logger.warn(renderLog, render.reason);
  else logger.info(renderLog, 'render path');
  const encodeLog = { encodePath: encode.encodePath, reason: encode.reason };
  if (encode.encodePath === 'libx264' && gpuWasted) logger.warn(encodeLog, encode.reason);
  else logger.info(encodeLog, 'encode path');
  return { render, encode };
}

/** "renders in software (Xvfb), encodes with x264 on the CPU", for progress lines and `doctor`. */
export function describePaths(paths: MediaPaths): string {
  const render =
    paths.render.renderPath === 'xorg-nvidia' ? 'renders on the GPU (Xorg + NVIDIA)' : 'renders in software (Xvfb)';
  const encode =
    paths.encode.encodePath === 'h264_nvenc' ? 'encodes on the GPU (h264_nvenc)' : 'encodes with x264 on the CPU';
  return `${render}, ${encode}`;
}
