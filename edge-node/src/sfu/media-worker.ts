import { EventEmitter, once } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';

type RouterRtpCodecCapability = mediasoup.types.RouterRtpCodecCapability;

/**
 * What the router offers. H.264 constrained baseline is what the encoder sends;
 * level-asymmetry-allowed lets a browser that prefers another level still receive it.
 * VP8 and Opus are there for later titles and audio.
 */
export const MEDIA_CODECS: RouterRtpCodecCapability[] = [
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];

export interface MediaWorkerOptions {
  logger: Logger;
  rtcMinPort: number;
  rtcMaxPort: number;
}

interface MediaWorkerEvents {
  died: [error: Error];
}

/**
 * One mediasoup worker (the C++ SFU process) and its router. close() resolves once the
 * worker subprocess has really exited.
 */
export class MediaWorker extends EventEmitter<MediaWorkerEvents> {
  private constructor(
    readonly worker: mediasoup.types.Worker,
    readonly router: mediasoup.types.Router,
    private readonly logger: Logger,
  ) {
    super();
    worker.on('died', (error) => {
      logger.error({ error: error.message, pid: worker.pid }, 'mediasoup worker died');
      this.emit('died', error);
    });
  }

  static async start(options: MediaWorkerOptions): Promise<MediaWorker> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: options.rtcMinPort,
      rtcMaxPort: options.rtcMaxPort,
    });
    try {
      const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
      options.logger.info({ pid: worker.pid, version: mediasoup.version }, 'mediasoup worker started');
      return new MediaWorker(worker, router, options.logger);
    } catch (error) {
      worker.close();
      throw error;
    }
  }

  get pid(): number {
    return this.worker.pid;
  }

  async close(): Promise<void> {
    if (this.worker.subprocessClosed) return;
    const gone = once(this.worker, 'subprocessclose');
    this.worker.close();
    await gone;
    this.logger.info({ pid: this.worker.pid }, 'mediasoup worker stopped');
  }
}
