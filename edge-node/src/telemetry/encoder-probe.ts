import { runBoundedCommand } from './bounded-command.js';

export type VideoCodec = 'h264' | 'vp8' | 'vp9' | 'hevc' | 'av1';
export type EncoderBackend = 'software' | 'nvenc' | 'vaapi' | 'qsv';

export interface VideoEncoder {
  /** ffmpeg's encoder name, what goes after `-c:v`. */
  name: string;
  codec: VideoCodec;
  backend: EncoderBackend;
}

export type EncoderProbe = { kind: 'ffmpeg'; encoders: VideoEncoder[] } | { kind: 'unavailable'; reason: string };

export interface EncoderProbeOptions {
  timeoutMs?: number;
  /** The ffmpeg program (default: found on PATH). */
  command?: string;
}

export const DEFAULT_ENCODER_PROBE_TIMEOUT_MS = 5000;

/**
 * The encoders EdgePlay can stream with: codecs a browser decodes over WebRTC, in software
 * and on the hardware paths an edge box may have. libx265 and libaom-av1 are left out on
 * purpose: 1280x720@60 on a 2-core box managed ~31 fps (x265 ultrafast/zerolatency) and
 * ~18 fps (aom realtime, cpu-used 8), while libsvtav1 preset 12 ran at ~100 fps.
 */
const WANTED: readonly VideoEncoder[] = [
  { name: 'libx264', codec: 'h264', backend: 'software' },
  { name: 'libvpx', codec: 'vp8', backend: 'software' },
  { name: 'libvpx-vp9', codec: 'vp9', backend: 'software' },
  { name: 'libsvtav1', codec: 'av1', backend: 'software' },
  { name: 'h264_nvenc', codec: 'h264', backend: 'nvenc' },
  { name: 'hevc_nvenc', codec: 'hevc', backend: 'nvenc' },
  { name: 'av1_nvenc', codec: 'av1', backend: 'nvenc' },
  { name: 'h264_vaapi', codec: 'h264', backend: 'vaapi' },
  { name: 'hevc_vaapi', codec: 'hevc', backend: 'vaapi' },
  { name: 'vp8_vaapi', codec: 'vp8', backend: 'vaapi' },
  { name: 'vp9_vaapi', codec: 'vp9', backend: 'vaapi' },
  { name: 'av1_vaapi', codec: 'av1', backend: 'vaapi' },
  { name: 'h264_qsv', codec: 'h264', backend: 'qsv' },
  { name: 'hevc_qsv', codec: 'hevc', backend: 'qsv' },
  { name: 'vp9_qsv', codec: 'vp9', backend: 'qsv' },
  { name: 'av1_qsv', codec: 'av1', backend: 'qsv' },
];

/**
 * The video encoder names in `ffmpeg -encoders` output. Lines after the "------" rule look
 * like " V....D libx264   libx264 H.264 / AVC …"; the first letter is the media type.
 */
export function parseEncoderList(output: string): Set<string> {
  const names = new Set<string>();
  let inTable = false;
  for (const line of output.split('\n')) {
    if (!inTable) {
      inTable = /^\s*-{6}\s*$/.test(line);
      continue;
    }
    const match = /^\s*V[A-Z.]{5}\s+(\S+)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

/**
 * Which of EdgePlay's encoders this machine's ffmpeg was built with. Being listed means
 * compiled in, not usable: Debian's ffmpeg lists h264_nvenc on machines with no NVIDIA GPU,
 * so pair NVENC entries with the GPU probe (and VAAPI/QSV with a device) before choosing one.
 * Never throws; ffmpeg is killed if it has not answered within `timeoutMs`.
 */
export async function probeEncoders(options: EncoderProbeOptions = {}): Promise<EncoderProbe> {
  const command = options.command ?? 'ffmpeg';
  const timeoutMs = options.timeoutMs ?? DEFAULT_ENCODER_PROBE_TIMEOUT_MS;
  const outcome = await runBoundedCommand(command, ['-hide_banner', '-encoders'], { timeoutMs });
  switch (outcome.kind) {
    case 'not-found':
      return { kind: 'unavailable', reason: `${command} was not found` };
    case 'timed-out':
      return { kind: 'unavailable', reason: `${command} did not answer within ${timeoutMs} ms and was killed` };
    case 'failed':
      return { kind: 'unavailable', reason: `could not run ${command}: ${outcome.message}` };
    case 'exited': {
      if (outcome.code !== 0) {
        const said = outcome.stderr.trim().split('\n')[0] ?? '';
        const how = outcome.signal ? `was killed by ${outcome.signal}` : `failed with exit code ${outcome.code}`;
        return { kind: 'unavailable', reason: said ? `${command} ${how}: ${said}` : `${command} ${how}` };
      }
      const listed = parseEncoderList(outcome.stdout);
      return { kind: 'ffmpeg', encoders: WANTED.filter((encoder) => listed.has(encoder.name)) };
    }
  }
}
