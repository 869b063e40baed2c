import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import {
  EDGE_LOST,
  INPUT_CHANNEL_LABEL,
  playerJoinMessage,
  playerResumeMessage,
  ResumeChallengeSchema,
  SessionEndedSchema,
  type ConsumerInfo,
  type InputEvent,
  type JoinAnswer,
  type SessionEnded,
  type SessionPlacement,
  type TransportInfo,
} from '@edgeplay/shared';
import type { PlayerKey } from './player-key.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { request, RequestError } from './signaling.js';

export interface StreamTracks {
  track: MediaStreamTrack;
  audioTrack: MediaStreamTrack | undefined;
}

export interface StreamSessionEvents {
  onEnded(info: SessionEnded): void;
  /** The connection dropped; the page is trying to get the session back. */
  onReconnecting?(): void;
  /** The session is back; after a resume on new transports the tracks are new. */
  onResumed?(tracks: StreamTracks | undefined): void;
  /**
   * The edge cannot be reached: is it gone for good (the broker has lost it too)? True ends
   * the session at once (EDGE_LOST) instead of at the end of the reconnect window.
   */
  isNodeLost?(): Promise<boolean>;
}

/** What the page says when its game node is gone (crashed, or cut off from everyone). */
export const NODE_LOST_REASON = 'the game node stopped answering';

/** How long ICE may stay disconnected before the page steps in (it often recovers by itself). */
const ICE_DISCONNECTED_MS = 2000;
/** How long one resume attempt may wait for the edge. */
const ATTEMPT_TIMEOUT_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => window.setTimeout(resolve, ms));

/**
 * The page's side of one session: signaling with the edge, a recv transport for the
 * picture and the sound, and a send transport whose data channel carries input to the game.
 */
export class StreamSession {
  private edge: Socket;
  readonly device = new Device();
  recvTransport: types.Transport | undefined;
  private sendTransport: types.Transport | undefined;
  private input: types.DataProducer | undefined;
  private ended = false;
  /** Set while the page is getting a dropped session back. */
  private recovering = false;
  private iceTimer: number | undefined;

  private constructor(
    readonly placement: SessionPlacement,
    private readonly playerKey: PlayerKey,
    private readonly events: StreamSessionEvents,
  ) {
    this.edge = this.connect();
  }

  /** The current signaling connection to the edge (a new one after a resume). */
  get signaling(): Socket {
    return this.edge;
  }

  /** A signaling connection to the edge; losing it starts a recovery, not the end screen. */
  private connect(): Socket {
    const edge: Socket = io(this.placement.edge.signalingUrl, {
      transports: ['websocket'],
      reconnection: false,
      timeout: ATTEMPT_TIMEOUT_MS,
    });
    edge.on('session:ended', (info: unknown) => {
      const parsed = SessionEndedSchema.safeParse(info);
      this.finish(parsed.success ? parsed.data : { code: 'SESSION_ENDED', reason: 'the session ended' });
    });
    edge.on('input:rejected', (info: unknown) => console.warn('the game node rejected input', info));
    edge.on('disconnect', (reason) => {
      // Our own close (a resume replaced this connection, or the session ended) is no drop.
      if (reason === 'io client disconnect' || edge !== this.edge) return;
      void this.recover(false);
    });
    return edge;
  }

  /**
   * Connects to the edge named in the placement and returns the game's video track, and
   * its audio track unless the title has no sound.
   */
  static async open(
    placement: SessionPlacement,
    playerKey: PlayerKey,
    events: StreamSessionEvents,
  ): Promise<{ session: StreamSession } & StreamTracks> {
    const session = new StreamSession(placement, playerKey, events);
    try {
      const { track, audioTrack } = await session.setUp();
      return { session, track, audioTrack };
    } catch (error) {
      session.close();
      throw error;
    }
  }

  private async setUp(): Promise<StreamTracks> {
    const { ticket } = this.placement;
    const signature = await this.playerKey.sign(playerJoinMessage(ticket));
    const join = await request<JoinAnswer & { ok: true }>(this.edge, 'session:join', { ticket, signature });
    await this.device.load({ routerRtpCapabilities: join.routerRtpCapabilities as types.RtpCapabilities });
    return this.setUpMedia();
  }

  /** Transports, the picture and sound, and the input channel: at the start and after a resume. */
  private async setUpMedia(timeoutMs?: number): Promise<StreamTracks> {
    const ask = <T extends object>(event: string, payload: unknown): Promise<T> =>
      request<T>(this.edge, event, payload, timeoutMs);
    const recv = await ask<{ transport: TransportInfo }>('transport:create', { direction: 'recv' });
    this.recvTransport = this.device.createRecvTransport(recv.transport as types.TransportOptions);
    this.wireConnect(this.recvTransport);
    this.watchIce(this.recvTransport);
    const { consumers } = await ask<{ consumers: ConsumerInfo[] }>('media:consume', {
      rtpCapabilities: this.device.recvRtpCapabilities,
    });
    const video = consumers.find((consumer) => consumer.kind === 'video');
    if (!video) throw new Error('the node sent no video');
    const consumer = await this.receive(this.recvTransport, video);
    const audio = consumers.find((info) => info.kind === 'audio');
    const sound = audio ? await this.receive(this.recvTransport, audio) : undefined;

    const send = await ask<{ transport: TransportInfo }>('transport:create', {
      direction: 'send',
      sctpCapabilities: this.device.sctpCapabilities,
    });
    this.sendTransport = this.device.createSendTransport(send.transport as types.TransportOptions);
    this.wireConnect(this.sendTransport);
    this.watchIce(this.sendTransport);
    const transportId = this.sendTransport.id;
    this.sendTransport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
      ask<{ id: string }>('data:produce', { transportId, sctpStreamParameters, label, protocol }).then(
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
    await request(this.edge, 'media:resume', { consumerId: consumer.id }, ATTEMPT_TIMEOUT_MS);
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

  /** ICE that fails, or stays disconnected, means the media path broke: get it back. */
  private watchIce(transport: types.Transport): void {
    transport.on('connectionstatechange', (state) => {
      if (transport.closed || this.ended) return;
      window.clearTimeout(this.iceTimer);
      if (state === 'failed') void this.recover(true);
      if (state === 'disconnected') {
        this.iceTimer = window.setTimeout(() => void this.recover(true), ICE_DISCONNECTED_MS);
      }
    });
  }

  /**
   * Gets a dropped session back within the reconnect window: first an ICE restart when
   * signaling is still up and only the media path broke, else (and on every later try) a
   * new connection that resumes the session with the player key and builds new transports.
   * When the edge says the session is gone, or the window passes, the session ends.
   */
  private async recover(iceOnly: boolean): Promise<void> {
    if (this.recovering || this.ended) return;
    this.recovering = true;
    window.clearTimeout(this.iceTimer);
    this.events.onReconnecting?.();
    const schedule = new ReconnectSchedule(Date.now());
    let tryIce = iceOnly && this.edge.connected;
    try {
      for (;;) {
        try {
          if (tryIce) {
            tryIce = false;
            await this.restartIce();
            this.events.onResumed?.(undefined);
          } else {
            this.events.onResumed?.(await this.resume());
          }
          return;
        } catch (error) {
          if (this.ended) return;
          const code = error instanceof RequestError ? error.answer.code : undefined;
          if (code === 'SESSION_NOT_FOUND' || code === 'UNAUTHORIZED') {
            this.finish({ code: 'PLAYER_GONE', reason: 'the game node had already ended the session' });
            return;
          }
          console.warn('reconnect attempt failed', error);
          // A page that cannot reach its node asks the broker whether anyone still can.
          if (!this.ended && (await this.nodeLost())) {
            this.finish({ code: EDGE_LOST, reason: NODE_LOST_REASON });
            return;
          }
        }
        const delay = schedule.nextDelay(Date.now());
        if (delay === undefined) break;
        await sleep(delay);
      }
      const seconds = Math.round(schedule.windowMs / 1000);
      this.finish({
        code: 'CONNECTION_LOST',
        reason: `the connection to the game node was lost for more than ${seconds} s`,
      });
    } finally {
      this.recovering = false;
    }
  }

  private async nodeLost(): Promise<boolean> {
    try {
      return (await this.events.isNodeLost?.()) ?? false;
    } catch (error) {
      console.warn('could not ask the broker about the game node', error);
      return false;
    }
  }

  /** New ICE credentials from the edge for both transports; resolves once media flows again. */
  private async restartIce(): Promise<void> {
    for (const transport of [this.recvTransport, this.sendTransport]) {
      if (!transport || transport.closed) continue;
      const { iceParameters } = await request<{ iceParameters: unknown }>(
        this.edge,
        'transport:restart-ice',
        { transportId: transport.id },
        ATTEMPT_TIMEOUT_MS,
      );
      await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
    }
    await this.connected(ATTEMPT_TIMEOUT_MS);
  }

  /** A new signaling connection resumes the session; new transports carry the picture again. */
  private async resume(): Promise<StreamTracks> {
    this.dropMedia();
    const old = this.edge;
    this.edge = this.connect();
    old.close();
    await new Promise<void>((resolve, reject) => {
      this.edge.once('connect', resolve);
      this.edge.once('connect_error', reject);
    });
    const { ticket, sessionId } = this.placement;
    const asked = await request<{ challenge: unknown }>(this.edge, 'session:challenge', {}, ATTEMPT_TIMEOUT_MS);
    const challenge = ResumeChallengeSchema.parse(asked.challenge);
    const signature = await this.playerKey.sign(playerResumeMessage(challenge, ticket));
    await request<JoinAnswer & { ok: true }>(
      this.edge,
      'session:resume',
      { sessionId, ticket, signature },
      ATTEMPT_TIMEOUT_MS,
    );
    const tracks = await this.setUpMedia(ATTEMPT_TIMEOUT_MS);
    await this.connected(ATTEMPT_TIMEOUT_MS);
    return tracks;
  }

  /** Resolves when the picture's transport is connected; rejects after `timeoutMs`. */
  private connected(timeoutMs: number): Promise<void> {
    const transport = this.recvTransport;
    if (!transport) return Promise.reject(new Error('no transport'));
    if (transport.connectionState === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        transport.off('connectionstatechange', onState);
        reject(new Error('the media connection did not come back'));
      }, timeoutMs);
      const onState = (state: string): void => {
        if (state !== 'connected') return;
        window.clearTimeout(timer);
        transport.off('connectionstatechange', onState);
        resolve();
      };
      transport.on('connectionstatechange', onState);
    });
  }

  private dropMedia(): void {
    this.input?.close();
    this.recvTransport?.close();
    this.sendTransport?.close();
    this.input = undefined;
    this.recvTransport = undefined;
    this.sendTransport = undefined;
  }

  /** Sends one input event to the game; dropped while the channel is not open. */
  send(event: InputEvent): boolean {
    if (this.input?.readyState !== 'open') return false;
    this.input.send(JSON.stringify(event));
    return true;
  }

  /**
   * The page is going away (tab closed, navigated off): tells the node to end the session now,
   * without waiting for an answer there is no page left to show. Without it the node keeps the
   * game for the reconnect grace period, as it must when only the network dropped.
   */
  leave(): void {
    if (this.ended || !this.edge.connected) return;
    this.edge.emit('session:end', {}, () => undefined);
    this.ended = true;
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

  /** Closes everything; no recovery runs and no end is reported after it. */
  close(): void {
    this.ended = true;
    window.clearTimeout(this.iceTimer);
    this.dropMedia();
    this.edge.close();
  }
}
