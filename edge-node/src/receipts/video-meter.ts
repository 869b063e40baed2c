import { EventEmitter } from 'node:events';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { enableMoreTraceEvents } from '../sfu/trace-events.js';

type Consumer = mediasoup.types.Consumer;

/** Running totals of the video one session's player was sent. */
export interface VideoTotals {
  /** Frames sent: distinct, advancing RTP timestamps of non-RTX packets. */
  frames: number;
  bytes: number;
}

interface Stream extends VideoTotals {
  consumer: Consumer;
  lastTimestamp: number | undefined;
  lastTrace: unknown;
}

interface VideoMeterEvents {
  /** The first video packet left for the session's player. */
  flowing: [sessionId: string];
  /** The player's video consumer closed (the session's transports are going). */
  stopped: [sessionId: string];
}

/**
 * Counts, per session, the video the edge actually sent to its player, from mediasoup's
 * per-packet `rtp` trace on the player's video consumer. It watches the router
 * (observer events), so sessions need not know it: a producer names its session in
 * `appData.sessionId`, and the first video consumer of that producer on a transport with
 * `appData.direction === 'recv'` is the player's.
 *
 * mediasoup 3.19.3 emits each consumer trace event twice (Consumer.js, CONSUMER_TRACE);
 * the same event object arrives both times and is counted once.
 */
export class VideoMeter extends EventEmitter<VideoMeterEvents> {
  private readonly sessionOfProducer = new Map<string, string>();
  private readonly streams = new Map<string, Stream>();

  constructor(
    router: mediasoup.types.Router,
    private readonly log: Logger,
  ) {
    super();
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newproducer', (producer) => {
        const sessionId = (producer.appData as { sessionId?: unknown }).sessionId;
        if (producer.kind !== 'video' || typeof sessionId !== 'string') return;
        this.sessionOfProducer.set(producer.id, sessionId);
        producer.observer.once('close', () => this.sessionOfProducer.delete(producer.id));
      });
      transport.observer.on('newconsumer', (consumer) => {
        if ((transport.appData as { direction?: unknown }).direction === 'recv') this.watch(consumer);
      });
    });
  }

  /** The totals so far of the session's player stream; undefined before its consumer exists. */
  totals(sessionId: string): VideoTotals | undefined {
    const stream = this.streams.get(sessionId);
    return stream && { frames: stream.frames, bytes: stream.bytes };
  }

  /** The round trip mediasoup measured from the player's RTCP, ms; null when there is none yet. */
  async rttMs(sessionId: string): Promise<number | null> {
    const consumer = this.streams.get(sessionId)?.consumer;
    if (!consumer || consumer.closed) return null;
    try {
      const stats = await consumer.getStats();
      // mediasoup says 0 until the player's first receiver report: that is "not measured".
      const rtt = stats.find((entry) => (entry.roundTripTime ?? 0) > 0)?.roundTripTime;
      return rtt ?? null;
    } catch (error) {
      this.log.debug({ error: String(error), sessionId }, 'consumer stats unavailable');
      return null;
    }
  }

  /** Forgets the session's stream (its receipts are done). */
  forget(sessionId: string): void {
    this.streams.delete(sessionId);
  }

  private watch(consumer: Consumer): void {
    const sessionId = this.sessionOfProducer.get(consumer.producerId);
    if (consumer.kind !== 'video' || sessionId === undefined || this.streams.has(sessionId)) return;
    const stream: Stream = { consumer, frames: 0, bytes: 0, lastTimestamp: undefined, lastTrace: undefined };
    this.streams.set(sessionId, stream);
    consumer.on('trace', (trace) => {
      if (trace === stream.lastTrace || trace.type !== 'rtp' || trace.direction !== 'out') return;
      stream.lastTrace = trace;
      this.count(sessionId, stream, trace.info);
    });
    consumer.observer.once('close', () => this.emit('stopped', sessionId));
    enableMoreTraceEvents(consumer, ['rtp']).catch((error: unknown) =>
      this.log.warn({ error: String(error), sessionId }, 'cannot meter the video sent'),
    );
  }

  private count(sessionId: string, stream: Stream, info: Record<string, unknown>): void {
    const packet = info.rtpPacket as { timestamp?: unknown; size?: unknown } | undefined;
    if (info.isRtx === true || typeof packet?.timestamp !== 'number') return;
    stream.bytes += Number(packet.size ?? 0);
    const timestamp = packet.timestamp;
    const last = stream.lastTimestamp;
    // A new frame: an RTP timestamp ahead of the last (modulo 2^32); a retransmitted older one is not.
    if (last === undefined || (timestamp !== last && (timestamp - last) >>> 0 < 2 ** 31)) {
      if (last === undefined) this.emit('flowing', sessionId);
      stream.lastTimestamp = timestamp;
      stream.frames += 1;
    }
  }
}
