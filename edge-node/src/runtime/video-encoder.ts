import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EncodePath } from '@edgeplay/shared';
import { parseEncoderLine, type EncoderCommand, type EncoderStats } from './encoder-messages.js';
import { ffmpegVideoArgs } from './ffmpeg-video.js';
import { ManagedProcess, type ProcessExit } from './managed-process.js';

export const VIDEO_PIPELINE = fileURLToPath(new URL('./video-pipeline.py', import.meta.url));
/**
 * Debian's interpreter, where python3-gi and GStreamer's introspection data are installed;
 * a `python3` earlier on PATH (pyenv, a virtualenv) has no `gi`.
 */
export const VIDEO_PIPELINE_PYTHON = '/usr/bin/python3';

/** Keyframes the viewers may ask for, at most one per this long (each costs a burst of bits). */
export const KEYFRAME_MIN_INTERVAL_MS = 250;
/** A keyframe at least this often even when nobody asks: a safety net for a lost request. */
export const KEYFRAME_SAFETY_INTERVAL_S = 5;
/**
 * x264's rate-control buffer. A frame can be at most this much of a second's bitrate, so a
 * keyframe reaches the link as a burst of at most 67 ms of it: it fits the queue of a
 * bottleneck link (commonly 100 ms deep) even when that queue is half full, as it is when a
 * viewer asks for a keyframe because the link started dropping. P-frames are far smaller (a
 * 60 fps frame is 17 ms of bitrate); keyframes are rare (on request, and a safety net every
 * 5 s), so their lower quality costs little.
 */
export const VBV_MS = 67;

export interface VideoEncoderOptions {
  display: string;
  /** What is captured: the display's size, and the title's frame rate. */
  width: number;
  height: number;
  fps: number;
  /** Where mediasoup's PlainTransport listens for RTP. */
  rtpPort: number;
  ssrc: number;
  payloadType: number;
  bitrateKbps: number;
  /**
   * Which H.264 encoder (default libx264; see encode-path.ts for how a node chooses). x264 runs
   * in the GStreamer pipeline and is steered at run time; h264_nvenc runs in ffmpeg, the same
   * encoder the node's start-up test encode proved, at the title's fixed bitrate.
   */
  encoder?: EncodePath | undefined;
  logger: Logger;
}

interface VideoEncoderEvents {
  /** Once a second: what the encoder made in that second. */
  stats: [stats: EncoderStats];
}

/**
 * Captures the display and sends H.264 over RTP, and can be steered while it runs: a GStreamer
 * pipeline (video-pipeline.py: ximagesrc → scale → x264 ultrafast + zerolatency → RTP) that
 * takes JSON commands on its stdin. setBitrate() takes effect on the next frame without a
 * keyframe; setFormat() scales the picture or lowers its rate (the encoder restarts and begins
 * with a keyframe); requestKeyFrame() answers a viewer's PLI/FIR, which the ffmpeg CLI ignored.
 * SPS/PPS go before every keyframe (config-interval=-1): the browser never sees an SDP from it.
 *
 * The process is a ManagedProcess (own process group, dies with the edge node); it also exits
 * when its stdin closes. close() resolves when it is gone.
 */
export class VideoEncoder extends EventEmitter<VideoEncoderEvents> {
  readonly process: ManagedProcess;
  private readonly log: Logger;
  private lastKeyFrameAt = Number.NEGATIVE_INFINITY;
  private latest: EncoderStats | undefined;

  /** Whether setBitrate, setFormat and requestKeyFrame reach the encoder (false for NVENC through ffmpeg). */
  readonly steerable: boolean;

  private constructor(options: VideoEncoderOptions) {
    super();
    this.log = options.logger.child({ process: 'encoder' });
    if (options.encoder === 'h264_nvenc') {
      // ffmpeg ignores PLI/FIR and cannot be re-tuned while it runs: a fixed one-second GOP
      // and the title's bitrate, as before the GStreamer pipeline.
      this.steerable = false;
      this.process = new ManagedProcess({
        name: 'encoder',
        command: 'ffmpeg',
        args: ffmpegVideoArgs({ ...options, encoder: 'h264_nvenc' }),
        logger: options.logger,
      });
      return;
    }
    this.steerable = true;
    const args = [
      VIDEO_PIPELINE,
      options.display,
      options.width,
      options.height,
      options.fps,
      options.bitrateKbps,
      options.fps * KEYFRAME_SAFETY_INTERVAL_S,
      VBV_MS,
      options.rtpPort,
      options.ssrc,
      options.payloadType,
    ].map(String);
    this.process = new ManagedProcess({
      name: 'encoder',
      command: VIDEO_PIPELINE_PYTHON,
      args,
      stdin: 'pipe',
      logger: options.logger,
    });
    // Writing to a pipe whose reader died raises EPIPE here; the death itself is reported by 'died'.
    this.process.child.stdin?.on('error', (error) => this.log.debug({ error: error.message }, 'encoder stdin closed'));
    const stdout = this.process.child.stdout;
    if (stdout) createInterface({ input: stdout }).on('line', (line) => this.onLine(line));
  }

  static start(options: VideoEncoderOptions): VideoEncoder {
    return new VideoEncoder(options);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The encoder's last one-second report, if any came yet. */
  get stats(): EncoderStats | undefined {
    return this.latest;
  }

  setBitrate(kbps: number): void {
    this.send({ type: 'bitrate', kbps: Math.round(kbps) });
  }

  setFormat(format: { width: number; height: number; fps: number }): void {
    this.send({ type: 'format', width: format.width, height: format.height, fps: format.fps });
  }

  /** Asks for a keyframe; requests closer together than KEYFRAME_MIN_INTERVAL_MS are folded into one. */
  requestKeyFrame(now = Date.now()): boolean {
    if (now - this.lastKeyFrameAt < KEYFRAME_MIN_INTERVAL_MS) return false;
    this.lastKeyFrameAt = now;
    this.send({ type: 'keyframe' });
    return true;
  }

  close(graceMs?: number): Promise<ProcessExit> {
    this.process.child.stdin?.end();
    return this.process.close(graceMs);
  }

  private send(command: EncoderCommand): void {
    if (!this.steerable) return;
    const stdin = this.process.child.stdin;
    if (!this.process.running || !stdin || stdin.destroyed) return;
    stdin.write(`${JSON.stringify(command)}\n`);
  }

  private onLine(line: string): void {
    const message = parseEncoderLine(line);
    if (!message) {
      this.log.warn({ line: line.slice(0, 200) }, 'encoder wrote a line that is not a message');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.log.info('encoder sending');
        break;
      case 'stats':
        this.log.debug({ ...message, type: undefined }, 'encoder stats');
        this.latest = message;
        this.emit('stats', message);
        break;
      case 'error':
        this.log.warn({ error: message.message }, 'encoder refused a command');
        break;
      default: {
        const never: never = message;
        throw new Error(`unhandled encoder message ${JSON.stringify(never)}`);
      }
    }
  }
}
