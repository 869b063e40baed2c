import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import {
  SessionEndedSchema,
  WATCH_NAMESPACE,
  WatchViewersSchema,
  type ConsumerInfo,
  type SessionEnded,
  type TransportInfo,
  type WatchJoinAnswer,
  type WatchViewers,
} from '@edgeplay/shared';
import { request } from './signaling.js';

export interface SpectatorEvents {
  onEnded(info: SessionEnded): void;
  onViewers(info: WatchViewers): void;
}

/**
 * A spectator's side of a session: joins the edge's `/watch` namespace with a watch
 * token and receives every track the session streams. It only receives: no send
 * transport, no data channel, no way to end the session.
 */
export class SpectatorSession {
  readonly edge: Socket;
  readonly device = new Device();
  recvTransport: types.Transport | undefined;
  private ended = false;

  private constructor(
    signalingUrl: string,
    private readonly events: SpectatorEvents,
  ) {
    this.edge = io(`${signalingUrl.replace(/\/+$/, '')}${WATCH_NAMESPACE}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    this.edge.on('watch:viewers', (info: unknown) => {
      const parsed = WatchViewersSchema.safeParse(info);
      if (parsed.success) this.events.onViewers(parsed.data);
    });
    this.edge.on('session:ended', (info: unknown) => {
      const parsed = SessionEndedSchema.safeParse(info);
      this.finish(parsed.success ? parsed.data : { code: 'SESSION_ENDED', reason: 'the session ended' });
    });
    this.edge.on('disconnect', () =>
      this.finish({ code: 'EDGE_UNAVAILABLE', reason: 'the connection to the game node was lost' }),
    );
  }

  static async open(
    signalingUrl: string,
    token: string,
    events: SpectatorEvents,
  ): Promise<{ session: SpectatorSession; join: WatchJoinAnswer; tracks: MediaStreamTrack[] }> {
    const session = new SpectatorSession(signalingUrl, events);
    try {
      const { join, tracks } = await session.setUp(token);
      return { session, join, tracks };
    } catch (error) {
      session.ended = true;
      session.close();
      throw error;
    }
  }

  private async setUp(token: string): Promise<{ join: WatchJoinAnswer; tracks: MediaStreamTrack[] }> {
    const join = await request<WatchJoinAnswer & { ok: true }>(this.edge, 'watch:join', { token });
    await this.device.load({ routerRtpCapabilities: join.routerRtpCapabilities as types.RtpCapabilities });
    const recv = await request<{ transport: TransportInfo }>(this.edge, 'transport:create', { direction: 'recv' });
    const transport = this.device.createRecvTransport(recv.transport as types.TransportOptions);
    this.recvTransport = transport;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.edge, 'transport:connect', { transportId: transport.id, dtlsParameters }).then(
        () => callback(),
        errback,
      );
    });
    const { consumers } = await request<{ consumers: ConsumerInfo[] }>(this.edge, 'media:consume', {
      rtpCapabilities: this.device.recvRtpCapabilities,
    });
    // Every producer of the session: the picture, and the sound where the title has it.
    const tracks: MediaStreamTrack[] = [];
    for (const info of consumers) {
      const consumer = await transport.consume({
        id: info.id,
        producerId: info.producerId,
        kind: info.kind,
        rtpParameters: info.rtpParameters as types.RtpParameters,
      });
      await request(this.edge, 'media:resume', { consumerId: consumer.id });
      tracks.push(consumer.track);
    }
    if (!tracks.some((track) => track.kind === 'video')) throw new Error('the node sent no picture');
    return { join, tracks };
  }

  private finish(info: SessionEnded): void {
    if (this.ended) return;
    this.ended = true;
    this.close();
    this.events.onEnded(info);
  }

  close(): void {
    this.recvTransport?.close();
    this.edge.close();
  }
}
