import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import {
  INPUT_CHANNEL_LABEL,
  playerJoinMessage,
  SessionEndedSchema,
  type ConsumerInfo,
  type InputEvent,
  type JoinAnswer,
  type SessionEnded,
  type SessionPlacement,
  type TransportInfo,
} from '@edgeplay/shared';
import type { PlayerKey } from './player-key.js';
import { request } from './signaling.js';

export interface StreamSessionEvents {
  onEnded(info: SessionEnded): void;
}

/**
 * The page's side of one session: signaling with the edge, a recv transport for the
 * picture and the sound, and a send transport whose data channel carries input to the game.
 */
export class StreamSession {
  readonly edge: Socket;
  readonly device = new Device();
  recvTransport: types.Transport | undefined;
  private sendTransport: types.Transport | undefined;
  private input: types.DataProducer | undefined;
  private ended = false;

  private constructor(
    readonly placement: SessionPlacement,
    private readonly playerKey: PlayerKey,
    private readonly events: StreamSessionEvents,
  ) {
    this.edge = io(placement.edge.signalingUrl, { transports: ['websocket'], reconnection: false });
    this.edge.on('session:ended', (info: unknown) => {
      const parsed = SessionEndedSchema.safeParse(info);
      this.finish(parsed.success ? parsed.data : { code: 'SESSION_ENDED', reason: 'the session ended' });
    });
    this.edge.on('input:rejected', (info: unknown) => console.warn('the game node rejected input', info));
    this.edge.on('disconnect', () =>
      this.finish({ code: 'EDGE_UNAVAILABLE', reason: 'the connection to the game node was lost' }),
    );
  }

  /**
   * Connects to the edge named in the placement and returns the game's video track, and
   * its audio track unless the title has no sound.
   */
  static async open(
    placement: SessionPlacement,
    playerKey: PlayerKey,
    events: StreamSessionEvents,
  ): Promise<{ session: StreamSession; track: MediaStreamTrack; audioTrack: MediaStreamTrack | undefined }> {
    const session = new StreamSession(placement, playerKey, events);
    try {
      const { track, audioTrack } = await session.setUp();
      return { session, track, audioTrack };
    } catch (error) {
      session.close();
      throw error;
    }
  }

  private async setUp(): Promise<{ track: MediaStreamTrack; audioTrack: MediaStreamTrack | undefined }> {
    const { ticket } = this.placement;
    const signature = await this.playerKey.sign(playerJoinMessage(ticket));
    const join = await request<JoinAnswer & { ok: true }>(this.edge, 'session:join', { ticket, signature });
    await this.device.load({ routerRtpCapabilities: join.routerRtpCapabilities as types.RtpCapabilities });

    const recv = await request<{ transport: TransportInfo }>(this.edge, 'transport:create', { direction: 'recv' });
    this.recvTransport = this.device.createRecvTransport(recv.transport as types.TransportOptions);
    this.wireConnect(this.recvTransport);
    const { consumers } = await request<{ consumers: ConsumerInfo[] }>(this.edge, 'media:consume', {
      rtpCapabilities: this.device.recvRtpCapabilities,
    });
    const video = consumers.find((consumer) => consumer.kind === 'video');
    if (!video) throw new Error('the node sent no video');
    const consumer = await this.receive(this.recvTransport, video);
    const audio = consumers.find((info) => info.kind === 'audio');
    const sound = audio ? await this.receive(this.recvTransport, audio) : undefined;

    const send = await request<{ transport: TransportInfo }>(this.edge, 'transport:create', {
      direction: 'send',
      sctpCapabilities: this.device.sctpCapabilities,
    });
    this.sendTransport = this.device.createSendTransport(send.transport as types.TransportOptions);
    this.wireConnect(this.sendTransport);
    const transportId = this.sendTransport.id;
    this.sendTransport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
      request<{ id: string }>(this.edge, 'data:produce', { transportId, sctpStreamParameters, label, protocol }).then(
        ({ id }) => callback({ id }),
        errback,
      );
    });
    this.input = await this.sendTransport.produceData({ label: INPUT_CHANNEL_LABEL, ordered: true });
    return { track: consumer.track, audioTrack: sound?.track };
  }

  /**
   * Consumes one of the edge's producers and resumes it. Sound and picture get separate
   * stream ids on purpose: the browser then does not lip-sync them, which would hold the
   * picture back whenever the audio jitter buffer is deeper; in a game, the picture's
   * latency matters more than exact sync.
   */
  private async receive(transport: types.Transport, info: ConsumerInfo): Promise<types.Consumer> {
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as types.RtpParameters,
      streamId: `edgeplay-${info.kind}`,
    });
    await request(this.edge, 'media:resume', { consumerId: consumer.id });
    return consumer;
  }

  private wireConnect(transport: types.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.edge, 'transport:connect', { transportId: transport.id, dtlsParameters }).then(
        () => callback(),
        errback,
      );
    });
  }

  /** Sends one input event to the game; dropped while the channel is not open. */
  send(event: InputEvent): boolean {
    if (this.input?.readyState !== 'open') return false;
    this.input.send(JSON.stringify(event));
    return true;
  }

  async end(): Promise<void> {
    if (this.ended) return;
    try {
      await request(this.edge, 'session:end', {});
    } finally {
      this.finish({ code: 'PLAYER_ENDED', reason: 'you ended the session' });
    }
  }

  private finish(info: SessionEnded): void {
    if (this.ended) return;
    this.ended = true;
    this.close();
    this.events.onEnded(info);
  }

  close(): void {
    this.input?.close();
    this.recvTransport?.close();
    this.sendTransport?.close();
    this.edge.close();
  }
}
