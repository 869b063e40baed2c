import { randomInt } from 'node:crypto';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { startAudioEncoder } from '../runtime/audio-encoder.js';
import type { ManagedProcess } from '../runtime/managed-process.js';
import { SoundServer } from '../runtime/sound-server.js';

const OPUS_PAYLOAD_TYPE = 111;
/** Plenty for a game's stereo mix at 48 kHz; Opus VBR spends far less on quiet moments. */
export const AUDIO_BITRATE_KBPS = 96;

export interface SessionAudioOptions {
  router: mediasoup.types.Router;
  sessionId: string;
  logger: Logger;
}

/**
 * A session's sound: a private PulseAudio server the title plays into, and ffmpeg
 * recording its null sink as Opus RTP into a PlainTransport → Producer (audio/opus).
 * It starts before the title (which needs the server's address in its environment);
 * until the game makes a sound the stream carries silence.
 */
export class SessionAudio {
  private constructor(
    readonly sound: SoundServer,
    readonly transport: mediasoup.types.PlainTransport,
    readonly producer: mediasoup.types.Producer,
    readonly encoder: ManagedProcess,
  ) {}

  static async start(options: SessionAudioOptions): Promise<SessionAudio> {
    const { router, logger } = options;
    const sound = await SoundServer.start({ logger });
    let transport: mediasoup.types.PlainTransport | undefined;
    try {
      // Separate RTCP for the same reason as video: ffmpeg sends it from another port.
      transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: false,
        comedia: true,
      });
      const ssrc = randomInt(1, 2 ** 31);
      const producer = await transport.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [
            {
              mimeType: 'audio/opus',
              payloadType: OPUS_PAYLOAD_TYPE,
              clockRate: 48000,
              channels: 2,
              // The sender may send stereo; mediasoup-client turns it into stereo=1 for the browser.
              parameters: { 'sprop-stereo': 1 },
            },
          ],
          encodings: [{ ssrc }],
        },
        appData: { sessionId: options.sessionId },
      });
      const rtcpPort = transport.rtcpTuple?.localPort;
      if (rtcpPort === undefined) throw new Error('audio PlainTransport has no RTCP port');
      const encoder = startAudioEncoder({
        server: sound.server,
        source: sound.monitorSource,
        rtpPort: transport.tuple.localPort,
        rtcpPort,
        ssrc,
        payloadType: OPUS_PAYLOAD_TYPE,
        bitrateKbps: AUDIO_BITRATE_KBPS,
        logger,
      });
      return new SessionAudio(sound, transport, producer, encoder);
    } catch (error) {
      transport?.close();
      await sound.close();
      throw error;
    }
  }

  /** Environment for the title so that its sound reaches this session's sink. */
  get titleEnv(): Record<string, string> {
    return this.sound.clientEnv;
  }

  get pids(): number[] {
    return [this.sound.process.pid, this.encoder.pid].filter((pid): pid is number => pid !== undefined);
  }

  /** Closes the transport, then the encoder, then the sound server; resolves when both processes are gone. */
  async close(): Promise<void> {
    this.transport.close();
    try {
      await this.encoder.close();
    } finally {
      await this.sound.close();
    }
  }
}
