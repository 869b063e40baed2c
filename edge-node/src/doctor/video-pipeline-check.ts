import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VIDEO_PIPELINE, VIDEO_PIPELINE_PYTHON } from '../runtime/video-encoder.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import type { MachineFacts } from './machine-facts.js';

const run = promisify(execFile);
const PACKAGES =
  'apt install python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly';

/**
 * The video encoder of x264 sessions is a GStreamer pipeline run by Debian's python3 (see
 * runtime/video-encoder.ts). Asks that same script, in its --check mode, which GStreamer it
 * finds and which of its elements are missing. NVENC sessions run ffmpeg instead, so there a
 * missing pipeline only costs the fallback.
 */
export async function checkVideoPipeline(
  facts: MachineFacts,
  python = VIDEO_PIPELINE_PYTHON,
  script = VIDEO_PIPELINE,
): Promise<CheckResult> {
  const name = 'video encoder (GStreamer)';
  const needed = facts.paths.encode.encodePath === 'libx264';
  const problem = (message: string, fix: string): CheckResult =>
    needed
      ? fail('video-pipeline', name, `${message}: no session can be encoded`, fix)
      : warn('video-pipeline', name, `${message}: sessions use NVENC through ffmpeg, with no x264 fallback`, fix);
  let stdout: string;
  try {
    ({ stdout } = await run(python, [script, '--check'], { timeout: 15_000 }));
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? (error as Error).message;
    return problem(
      `${python} could not load GStreamer (${detail})`,
      `install Debian's GStreamer bindings: ${PACKAGES}.`,
    );
  }
  let answer: { gstreamer?: string; missing?: string[] };
  try {
    answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as typeof answer;
  } catch {
    return problem(
      `the pipeline's check printed something unexpected (${stdout.slice(0, 120)})`,
      `reinstall: ${PACKAGES}.`,
    );
  }
  const missing = answer.missing ?? [];
  if (missing.length > 0) {
    return problem(
      `${answer.gstreamer ?? 'GStreamer'} lacks ${missing.join(', ')}`,
      `install the plugins: ${PACKAGES}.`,
    );
  }
  return ok('video-pipeline', name, `${answer.gstreamer ?? 'GStreamer'} has every element x264 sessions use`);
}
