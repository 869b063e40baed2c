import type { EncodePath } from '@edgeplay/shared';

/** What ffmpegVideoArgs needs: the capture, the RTP target and the encoder. */
export interface FfmpegVideoOptions {
  display: string;
  width: number;
  height: number;
  fps: number;
  rtpPort: number;
  ssrc: number;
  payloadType: number;
  bitrateKbps: number;
  encoder: EncodePath;
}

/**
 * The same stream from either encoder: H.264 constrained baseline (no B-frames), CBR at
 * `bitrateKbps` with a third of a second of VBV, a keyframe every second and no lookahead.
 * x264 runs ultrafast + zerolatency. NVENC runs its fastest preset (p1) tuned for
 * ultra-low latency with no frame delay, and takes x11grab's BGRX frames as they are:
 * the colour conversion happens on the GPU instead of costing a CPU core.
 */
export function videoCodecArgs(encoder: EncodePath, fps: number, bitrateKbps: number): string[] {
  const gop = ['-g', String(fps)];
  const rate = [
    '-b:v',
    `${bitrateKbps}k`,
    '-maxrate',
    `${bitrateKbps}k`,
    '-bufsize',
    `${Math.round(bitrateKbps / 3)}k`,
  ];
  switch (encoder) {
    case 'libx264':
      return [
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
        ...gop,
        '-keyint_min',
        String(fps),
        '-sc_threshold',
        '0',
        ...rate,
      ];
    case 'h264_nvenc':
      return [
        '-c:v',
        'h264_nvenc',
        '-preset',
        'p1',
        '-tune',
        'ull',
        '-zerolatency',
        '1',
        '-delay',
        '0',
        '-rc',
        'cbr',
        '-profile:v',
        'baseline',
        ...gop,
        '-bf',
        '0',
        '-forced-idr',
        '1',
        ...rate,
      ];
  }
}

/**
 * ffmpeg's arguments to capture the display and send H.264 over RTP (RTCP muxed on the RTP
 * port): x11grab → NVENC (or x264) → RTP to mediasoup. Used for NVENC, which the GStreamer
 * pipeline does not drive (see video-encoder.ts).
 *
 * Keyframes: ffmpeg ignores the PLI/FIR that mediasoup forwards when a viewer joins,
 * so the stream carries a short fixed GOP of one second. A new viewer waits at most
 * that long for its first picture; the cost is a larger I-frame once a second, which
 * the VBV buffer (a third of a second of bitrate) spreads out. SPS/PPS are repeated
 * in front of every keyframe (dump_extra) because the browser never sees ffmpeg's SDP.
 */
export function ffmpegVideoArgs(options: FfmpegVideoOptions): string[] {
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
    ...videoCodecArgs(options.encoder, fps, bitrateKbps),
    '-bsf:v',
    'dump_extra=freq=keyframe',
    '-f',
    'rtp',
    '-payload_type',
    String(options.payloadType),
    '-ssrc',
    String(options.ssrc),
    `rtp://127.0.0.1:${options.rtpPort}?rtcpport=${options.rtpPort}&pkt_size=1200`,
  ];
  return args;
}
