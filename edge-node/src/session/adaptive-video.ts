import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { VideoEncoder } from '../runtime/video-encoder.js';
import { QualityController, type LinkReport, type QualityDecision } from './quality-controller.js';
import type { VideoFormat } from './quality-ladder.js';

/** How often the viewer's link is read besides mediasoup's own bandwidth events. */
export const LINK_POLL_MS = 500;
/**
 * The estimate is not trusted until the viewer has been receiving this long: before that it is
 * the start value, or a figure made while the consumer was paused and nothing was sent.
 */
export const WARMUP_MS = 2000;

export interface AdaptiveVideoOptions {
  encoder: VideoEncoder;
  title: VideoFormat;
  maxKbps: number;
  minKbps: number;
  /** Bitrate of the sound on the same transport, left out of the estimate. */
  reservedKbps: number;
  logger: Logger;
}

/**
 * Closes the loop between a viewer's link and the encoder: the player's WebRTC transport's
 * transport-cc bandwidth estimate ('bwe' trace events, sent at once when it falls by a quarter,
 * and a poll every LINK_POLL_MS) and the video consumer's receiver reports (loss) go to a
 * QualityController, whose decisions set the encoder's bitrate and format.
 */
export class AdaptiveVideo {
  readonly controller: QualityController;
  private readonly log: Logger;
  private link: { transport: mediasoup.types.WebRtcTransport; consumer: mediasoup.types.Consumer } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLost = 0;
  private sendingSince: number | undefined;
  private polling = false;
  private closed = false;

  constructor(private readonly options: AdaptiveVideoOptions) {
    this.log = options.logger.child({ part: 'adaptive-video' });
    this.controller = new QualityController({
      title: options.title,
      maxKbps: options.maxKbps,
      minKbps: options.minKbps,
      reservedKbps: options.reservedKbps,
    });
  }

  /**
   * Follows the link of this viewer (the player): its recv transport and its video consumer.
   * Watching another replaces it; the encoder serves whoever plays.
   */
  follow(transport: mediasoup.types.WebRtcTransport, consumer: mediasoup.types.Consumer): void {
    if (this.closed) return;
    this.link = { transport, consumer };
    this.lastLost = 0;
    this.sendingSince = undefined;
    transport.on('trace', (trace) => {
      if (trace.type !== 'bwe' || this.link?.transport !== transport) return;
      const info = trace.info as { availableBitrate?: number };
      if (typeof info.availableBitrate === 'number')
        this.apply({ atMs: Date.now(), availableBps: info.availableBitrate }, 'bwe');
    });
    void transport
      .enableTraceEvent(['bwe'])
      .catch((error: unknown) => this.log.warn({ error: String(error) }, 'cannot watch the bandwidth estimate'));
    this.timer ??= setInterval(() => void this.poll(), LINK_POLL_MS);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.link = undefined;
  }

  private async poll(): Promise<void> {
    const link = this.link;
    if (!link || this.polling || link.transport.closed || link.consumer.closed) return;
    this.polling = true;
    try {
      const [[transportStats], consumerStats] = await Promise.all([
        link.transport.getStats(),
        link.consumer.getStats(),
      ]);
      if (this.link !== link) return;
      const sent = consumerStats.find((stats) => stats.type === 'outbound-rtp');
      // Loss counts only when a new receiver report counted more lost packets.
      let fractionLost: number | undefined;
      if (sent && sent.packetsLost > this.lastLost) fractionLost = sent.fractionLost / 256;
      if (sent) this.lastLost = sent.packetsLost;
      if (sent && sent.packetCount > 0) this.sendingSince ??= Date.now();
      this.apply(
        { atMs: Date.now(), availableBps: transportStats?.availableOutgoingBitrate, fractionLost },
        'poll',
        sent?.roundTripTime,
      );
    } catch (error) {
      // Transport or consumer closed between the check and the call: the session is ending.
      if (!link.transport.closed && !link.consumer.closed) this.log.warn({ error: String(error) }, 'link poll failed');
    } finally {
      this.polling = false;
    }
  }

  private apply(report: LinkReport, source: 'bwe' | 'poll', rttMs?: number): void {
    this.log.debug({ ...report, source, rttMs }, 'link report');
    if (this.sendingSince === undefined || report.atMs - this.sendingSince < WARMUP_MS) return;
    const before = this.controller.settings;
    const decision: QualityDecision | undefined = this.controller.update(report);
    if (!decision) return;
    const { settings } = decision;
    const encoder = this.options.encoder;
    if (settings.width !== before.width || settings.height !== before.height || settings.fps !== before.fps) {
      // Bitrate first: the restarted encoder starts from the new one.
      encoder.setBitrate(settings.bitrateKbps);
      encoder.setFormat(settings);
    } else {
      encoder.setBitrate(settings.bitrateKbps);
    }
    this.log.info(
      {
        reason: decision.reason,
        source,
        availableKbps: report.availableBps === undefined ? undefined : Math.round(report.availableBps / 1000),
        fractionLost: report.fractionLost,
        rttMs,
        fromKbps: before.bitrateKbps,
        ...settings,
      },
      'video quality changed',
    );
  }
}
