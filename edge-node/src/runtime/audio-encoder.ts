import type { Logger } from 'pino';
import { ManagedProcess } from './managed-process.js';

export interface AudioEncoderOptions {
  /** The PulseAudio server (`unix:<path>`) and the source to record, e.g. `game.monitor`. */
  server: string;
  source: string;
  /** Where mediasoup's PlainTransport listens for RTP and RTCP. */
  rtpPort: number;
  rtcpPort: number;
  ssrc: number;
  payloadType: number;
  bitrateKbps: number;
  logger: Logger;
}

/** Opus frame length: 960 samples at 48 kHz, what WebRTC receivers expect. */
export const OPUS_FRAME_MS = 20;

/**
 * Records the session's sound and sends Opus over RTP: ffmpeg `-f pulse` on the game
 * sink's monitor → libopus → RTP to mediasoup.
 *
 * Latency: PulseAudio hands over 10 ms fragments (1,920 bytes of 48 kHz stereo s16), and
 * libopus runs in its `lowdelay` mode (CELT only, 2.5 ms look-ahead) with 20 ms frames.
 * A monitor source delivers silence in real time while the game plays nothing, so a
 * silent title is a quiet stream, never a stalled one; Opus VBR makes those frames tiny.
 */
export function startAudioEncoder(options: AudioEncoderOptions): ManagedProcess {
  const args = [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostdin',
    '-f',
    'pulse',
    '-server',
    options.server,
    '-name',
    'edgeplay-encoder',
    '-sample_rate',
    '48000',
    '-channels',
    '2',
    '-fragment_size',
    '1920',
    '-i',
    options.source,
    '-vn',
    // Stamp frames by sample count: the capture's wall-clock stamps jitter, and RTP
    // timestamps that do not advance by exactly one frame make the receiver conceal
    // and stretch audio that arrived intact.
    '-af',
    'asetpts=N/SR/TB',
    '-c:a',
    'libopus',
    '-application',
    'lowdelay',
    '-frame_duration',
    String(OPUS_FRAME_MS),
    '-vbr',
    'on',
    '-b:a',
    `${options.bitrateKbps}k`,
    '-f',
    'rtp',
    '-payload_type',
    String(options.payloadType),
    '-ssrc',
    String(options.ssrc),
    `rtp://127.0.0.1:${options.rtpPort}?rtcpport=${options.rtcpPort}&pkt_size=1200`,
  ];
  return new ManagedProcess({ name: 'audio-encoder', command: 'ffmpeg', args, logger: options.logger });
}
