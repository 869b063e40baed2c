import type { Logger } from 'pino';
import { ManagedProcess } from './managed-process.js';

export interface VideoEncoderOptions {
  display: string;
  width: number;
  height: number;
  fps: number;
  /** Where mediasoup's PlainTransport listens for RTP and RTCP. */
  rtpPort: number;
  rtcpPort: number;
  ssrc: number;
  payloadType: number;
  bitrateKbps: number;
  logger: Logger;
}

/**
 * Captures the display and sends H.264 over RTP: ffmpeg x11grab → x264 ultrafast +
 * zerolatency (no B-frames, no lookahead, sliced threads) → RTP to mediasoup.
 *
 * Keyframes: ffmpeg ignores the PLI/FIR that mediasoup forwards when a viewer joins,
 * so the stream carries a short fixed GOP of one second. A new viewer waits at most
 * that long for its first picture; the cost is a larger I-frame once a second, which
 * the VBV buffer (a third of a second of bitrate) spreads out. SPS/PPS are repeated
 * in front of every keyframe (dump_extra) because the browser never sees ffmpeg's SDP.
 */
export function startVideoEncoder(options: VideoEncoderOptions): ManagedProcess {
  const { display, width, height, fps, bitrateKbps } = options;
  const args = [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostdin',
    '-f',
    'x11grab',
    '-draw_mouse',
    '0',
    '-framerate',
    String(fps),
    '-video_size',
    `${width}x${height}`,
    '-i',
    `${display}+0,0`,
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(fps),
    '-keyint_min',
    String(fps),
    '-sc_threshold',
    '0',
    '-b:v',
    `${bitrateKbps}k`,
    '-maxrate',
    `${bitrateKbps}k`,
    '-bufsize',
    `${Math.round(bitrateKbps / 3)}k`,
    '-bsf:v',
    'dump_extra=freq=keyframe',
    '-f',
    'rtp',
    '-payload_type',
    String(options.payloadType),
    '-ssrc',
    String(options.ssrc),
    `rtp://127.0.0.1:${options.rtpPort}?rtcpport=${options.rtcpPort}&pkt_size=1200`,
  ];
  return new ManagedProcess({ name: 'encoder', command: 'ffmpeg', args, logger: options.logger });
}
