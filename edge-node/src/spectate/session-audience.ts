import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { ErrorCode, makeError, type ConsumerInfo, type SessionEnded, type TransportInfo } from '@edgeplay/shared';

export interface SessionAudienceOptions {
  sessionId: string;
  router: mediasoup.types.Router;
  /** The session's producers now (video, and audio where the title has sound). */
  producers: () => mediasoup.types.Producer[];
  maxViewers: number;
  /** Where spectators' WebRTC transports listen (the same addresses as the player's). */
  listenInfos: mediasoup.types.TransportListenInfo[];
  logger: Logger;
}

interface Spectator {
  transport: mediasoup.types.WebRtcTransport | undefined;
  consumers: Map<string, mediasoup.types.Consumer>;
  consumed: boolean;
}

/**
 * The spectators of one session: each has one recv WebRtcTransport and one consumer per
 * producer of the session, all on the session's router, so the picture is encoded once
 * and forwarded to every viewer. A spectator's transport (and with it its consumers)
 * closes when it leaves; end() closes every one.
 */
export class SessionAudience {
  private readonly spectators = new Map<string, Spectator>();
  private endInfo: SessionEnded | undefined;

  constructor(private readonly options: SessionAudienceOptions) {}

  get sessionId(): string {
    return this.options.sessionId;
  }

  get viewers(): number {
    return this.spectators.size;
  }

  get maxViewers(): number {
    return this.options.maxViewers;
  }

  get ended(): SessionEnded | undefined {
    return this.endInfo;
  }

  /** Takes a place in the audience; NO_CAPACITY when it is full, SESSION_NOT_FOUND once the session ended. */
  admit(spectatorId: string): void {
    if (this.endInfo) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this session has ended');
    if (this.spectators.has(spectatorId)) throw makeError(ErrorCode.SESSION_STATE, 'already watching');
    if (this.spectators.size >= this.options.maxViewers) {
      throw makeError(
        ErrorCode.NO_CAPACITY,
        `this session already has the most spectators it allows (${this.options.maxViewers})`,
      );
    }
    this.spectators.set(spectatorId, { transport: undefined, consumers: new Map(), consumed: false });
  }

  async createTransport(spectatorId: string): Promise<TransportInfo> {
    const spectator = this.spectator(spectatorId);
    if (spectator.transport) throw makeError(ErrorCode.SESSION_STATE, 'a spectator has one transport');
    const transport = await this.options.router.createWebRtcTransport({
      listenInfos: this.options.listenInfos,
      appData: { sessionId: this.sessionId, spectator: spectatorId },
    });
    // It may have left (or the session ended) while the transport was being made.
    if (this.spectators.get(spectatorId) !== spectator) {
      transport.close();
      throw makeError(ErrorCode.SESSION_NOT_FOUND, 'no longer watching');
    }
    spectator.transport = transport;
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connect(
    spectatorId: string,
    transportId: string,
    dtlsParameters: mediasoup.types.DtlsParameters,
  ): Promise<void> {
    await this.transport(spectatorId, transportId).connect({ dtlsParameters });
  }

  /** One paused consumer per producer of the session the browser can decode; once per spectator. */
  async consume(spectatorId: string, rtpCapabilities: mediasoup.types.RtpCapabilities): Promise<ConsumerInfo[]> {
    const spectator = this.spectator(spectatorId);
    const transport = spectator.transport;
    if (!transport) throw makeError(ErrorCode.SESSION_STATE, 'create a transport before consuming');
    if (spectator.consumed) throw makeError(ErrorCode.SESSION_STATE, 'this spectator already receives the session');
    const router = this.options.router;
    const producers = this.options.producers().filter((p) => router.canConsume({ producerId: p.id, rtpCapabilities }));
    if (!producers.some((producer) => producer.kind === 'video')) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'this browser cannot decode the stream (H.264 is required)');
    }
    spectator.consumed = true;
    const answers: ConsumerInfo[] = [];
    for (const producer of producers) {
      const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
      spectator.consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => spectator.consumers.delete(consumer.id));
      answers.push({
        id: consumer.id,
        producerId: producer.id,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
      });
    }
    return answers;
  }

  async resume(spectatorId: string, consumerId: string): Promise<void> {
    const consumer = this.spectator(spectatorId).consumers.get(consumerId);
    if (!consumer) throw makeError(ErrorCode.INVALID_MESSAGE, 'no such consumer for this spectator');
    await consumer.resume();
    // The encoder's next keyframe is at most one GOP away; asking costs nothing.
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  /** Closes what the spectator held; false when it was not watching. */
  leave(spectatorId: string): boolean {
    const spectator = this.spectators.get(spectatorId);
    if (!spectator) return false;
    this.spectators.delete(spectatorId);
    spectator.transport?.close();
    return true;
  }

  /** The session is over: every spectator's transport closes and nobody joins any more. */
  end(info: SessionEnded): void {
    if (this.endInfo) return;
    this.endInfo = info;
    for (const id of [...this.spectators.keys()]) this.leave(id);
    this.options.logger.info({ sessionId: this.sessionId }, 'audience closed');
  }

  private spectator(spectatorId: string): Spectator {
    const spectator = this.spectators.get(spectatorId);
    if (!spectator || this.endInfo) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'join with a watch link first');
    return spectator;
  }

  private transport(spectatorId: string, transportId: string): mediasoup.types.WebRtcTransport {
    const transport = this.spectator(spectatorId).transport;
    if (!transport || transport.id !== transportId) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'no such transport for this spectator');
    }
    return transport;
  }
}
