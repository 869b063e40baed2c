import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { VideoEncoder } from '../runtime/video-encoder.js';
import { enableMoreTraceEvents } from '../sfu/trace-events.js';
import { QualityController, type LinkReport, type QualityDecision } from './quality-controller.js';
import type { VideoFormat } from './quality-ladder.js';

/** How often the viewer's link is read besides mediasoup's own bandwidth events. */
export const LINK_POLL_MS = 250;
/** NACKs are counted as loss over at least this many packets sent (fewer say little). */
const MIN_PACKETS_FOR_NACK_LOSS = 30;
/**
 * A viewer NACKs a missing packet again each round trip until it arrives, so NACKed packets per
 * packet sent over-counts loss (2× and more on a choked link): it is believed up to this much.
 */
const MAX_NACK_LOSS = 0.5;
/**
 * The estimate is not trusted until the viewer has been receiving this long: before that it is
 * the start value, or a figure made while the consumer was paused and nothing was sent.
 */
export const WARMUP_MS = 2000;
/**
 * mediasoup's estimator is capped at this multiple of the video's current bitrate (never above
 * what mediasoup allows itself: 1.35 × the title's budget). Each change of that ceiling makes
 * GoogCC probe the link up to it — how the estimate learns fast that a freed link carries more;
 * without probes, while the stream sends less than it may, the estimate creeps up by additive
 * increase (measured here: ~0.1 Mbit/s every 5 s).
 */
export const PROBE_CEILING = 2;

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
 * and a poll every LINK_POLL_MS) and the video consumer's loss (receiver reports, and the share
 * of packets the viewer NACKed) go to a QualityController, whose decisions set the encoder's
 * bitrate and format. The player's keyframe requests go straight to the encoder.
 */
export class AdaptiveVideo {
  readonly controller: QualityController;
  private readonly log: Logger;
  private link: { transport: mediasoup.types.WebRtcTransport; consumer: mediasoup.types.Consumer } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLost = 0;
  private lastSent: { packets: number; nacked: number } | undefined;
  private sendingSince: number | undefined;
  private ceilingBps: number | undefined;
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
    this.lastSent = undefined;
    this.sendingSince = undefined;
    this.ceilingBps = undefined;
    transport.on('trace', (trace) => {
      if (trace.type !== 'bwe' || this.link?.transport !== transport) return;
      const info = trace.info as { availableBitrate?: number };
      if (typeof info.availableBitrate === 'number')
        this.apply({ atMs: Date.now(), availableBps: info.availableBitrate }, 'bwe');
    });
    void transport
      .enableTraceEvent(['bwe'])
      .catch((error: unknown) => this.log.warn({ error: String(error) }, 'cannot watch the bandwidth estimate'));
    // The player's own keyframe requests (PLI/FIR from its browser), answered straight away:
    // mediasoup passes such requests on only once the consumer counts as active, and a viewer
    // still waiting for its first picture is exactly the one that needs one.
    consumer.on('trace', (trace) => {
      if ((trace.type !== 'pli' && trace.type !== 'fir') || trace.direction !== 'in') return;
      if (this.options.encoder.requestKeyFrame())
        this.log.debug({ request: trace.type }, 'keyframe requested by the player');
    });
    void enableMoreTraceEvents(consumer, ['pli', 'fir']).catch((error: unknown) =>
      this.log.warn({ error: String(error) }, 'cannot watch keyframe requests'),
    );
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
      // Loss from a receiver report counts only when a new one counted more lost packets; loss
      // from NACKs (the viewer asking for packets again) is there within a round trip.
      let fractionLost: number | undefined;
      if (sent && sent.packetsLost > this.lastLost) fractionLost = sent.fractionLost / 256;
      if (sent) {
        this.lastLost = sent.packetsLost;
        const previous = this.lastSent;
        const packets = sent.packetCount - (previous?.packets ?? sent.packetCount);
        if (previous && packets >= MIN_PACKETS_FOR_NACK_LOSS) {
          const nacked = Math.min(MAX_NACK_LOSS, (sent.nackPacketCount - previous.nacked) / packets);
          fractionLost = Math.max(fractionLost ?? 0, nacked);
        }
        if (!previous || packets >= MIN_PACKETS_FOR_NACK_LOSS) {
          this.lastSent = { packets: sent.packetCount, nacked: sent.nackPacketCount };
        }
      }
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
    this.raiseCeiling(settings.bitrateKbps);
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

  /** Keeps mediasoup's estimator ceiling at PROBE_CEILING × the bitrate; a new ceiling starts a probe. */
  private raiseCeiling(bitrateKbps: number): void {
    const transport = this.link?.transport;
    const ceilingBps = Math.round(Math.min(this.options.maxKbps * 1.35, bitrateKbps * PROBE_CEILING) * 1000);
    if (!transport || transport.closed || ceilingBps === this.ceilingBps) return;
    this.ceilingBps = ceilingBps;
    transport
      .setMaxOutgoingBitrate(ceilingBps)
      .catch((error: unknown) => this.log.warn({ error: String(error), ceilingBps }, 'cannot set the probe ceiling'));
  }
}
