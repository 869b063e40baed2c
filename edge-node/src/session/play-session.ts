import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import {
  ErrorCode,
  INPUT_CHANNEL_LABEL,
  makeError,
  type ConsumerInfo,
  type ErrorCode as Code,
  type SessionEnded,
  type TitleManifest,
  type TransportInfo,
} from '@edgeplay/shared';
import { SessionInput } from '../input/session-input.js';
import type { ManagedProcess } from '../runtime/managed-process.js';
import { TitleProcess } from '../runtime/title-process.js';
import { VideoEncoder } from '../runtime/video-encoder.js';
import type { MediaPaths, SessionPaths } from '../runtime/media-paths.js';
import { startSessionDisplay, type SessionDisplay } from '../runtime/session-display.js';
import { AdaptiveVideo } from './adaptive-video.js';
import { forwardKeyFrameRequests } from './keyframe-requests.js';
import { AUDIO_BITRATE_KBPS, SessionAudio } from './session-audio.js';

const H264_PAYLOAD_TYPE = 125;

export interface PlaySessionOptions {
  sessionId: string;
  manifest: TitleManifest;
  titleDir: string;
  router: mediasoup.types.Router;
  logger: Logger;
  /** Where WebRTC transports listen, and the address announced to the browser. */
  rtcListenIp: string;
  rtcAnnouncedAddress?: string | undefined;
  /** How to render and encode, from the machine probe (default: Xvfb and x264). */
  media?: MediaPaths | undefined;
  /** Follow the player's link with the encoder's bitrate and format (default); false: a fixed bitrate. */
  adaptiveVideo?: boolean | undefined;
}

interface PlaySessionEvents {
  ended: [info: SessionEnded];
  /** A data-channel message the session refused; the player is told. */
  inputRejected: [info: { code: Code; message: string }];
}

/** Bits per pixel per frame that keep a game sharp with x264 ultrafast. */
const BITS_PER_PIXEL = 0.1;

export function videoBitrateKbps(manifest: TitleManifest): number {
  const { width, height } = manifest.resolution;
  const kbps = (width * height * manifest.fps * BITS_PER_PIXEL) / 1000;
  return Math.round(Math.min(20_000, Math.max(1_000, kbps)));
}

/** The least the encoder is taken down to on a poor link: a blocky picture, but a moving one. */
export const MIN_VIDEO_BITRATE_KBPS = 250;

/**
 * One player's session on this edge: a private display, the title, the encoder feeding
 * the router, the player's transports, and input injection. Everything it starts it
 * closes in close(), which resolves only when all of it is gone. A part that dies ends
 * the session and takes everything else down with it.
 */
export class PlaySession extends EventEmitter<PlaySessionEvents> {
  readonly id: string;
  private readonly log: Logger;
  private display: SessionDisplay | undefined;
  private title: TitleProcess | undefined;
  private encoder: VideoEncoder | undefined;
  private adaptive: AdaptiveVideo | undefined;
  private audio: SessionAudio | undefined;
  private input: SessionInput | undefined;
  private plainTransport: mediasoup.types.PlainTransport | undefined;
  private directTransport: mediasoup.types.DirectTransport | undefined;
  private producer: mediasoup.types.Producer | undefined;
  private readonly transports = new Map<string, mediasoup.types.WebRtcTransport>();
  private readonly directions = new Map<'send' | 'recv', string>();
  private readonly consumers = new Map<string, mediasoup.types.Consumer>();
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private endInfo: SessionEnded | undefined;

  constructor(private readonly options: PlaySessionOptions) {
    super();
    this.id = options.sessionId;
    this.log = options.logger.child({ sessionId: options.sessionId, title: options.manifest.id });
  }

  get titleId(): string {
    return this.options.manifest.id;
  }

  get rtpCapabilities(): mediasoup.types.RtpCapabilities {
    return this.options.router.rtpCapabilities;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** How this session renders (known once its display is up) and encodes. */
  get paths(): SessionPaths {
    return { renderPath: this.display?.renderPath, encodePath: this.options.media?.encode.encodePath ?? 'libx264' };
  }

  /** Pids of every process this session runs (for health checks and tests). */
  get pids(): number[] {
    return [this.display?.process.pid, this.title?.process.pid, this.encoder?.pid, ...(this.audio?.pids ?? [])].filter(
      (pid): pid is number => pid !== undefined,
    );
  }

  /** Starts everything; on failure everything started so far is closed again. */
  async start(): Promise<void> {
    this.starting = this.launch();
    try {
      await this.starting;
    } catch (error) {
      this.log.error({ error: (error as Error).message }, 'session failed to start');
      await this.close(ErrorCode.INTERNAL, 'the game could not be started on this node');
      throw makeError(ErrorCode.INTERNAL, 'the game could not be started on this node');
    }
    if (this.closing) throw makeError(ErrorCode.SESSION_STATE, 'the session ended while it was starting');
    this.log.info({ pids: this.pids, ...this.paths }, 'session started');
  }

  private async launch(): Promise<void> {
    const { manifest, router } = this.options;
    const { width, height } = manifest.resolution;
    this.display = await startSessionDisplay(this.options.media?.render, {
      sessionId: this.id,
      width,
      height,
      logger: this.log,
    });
    this.watch(this.display.process, 'display server');
    if (manifest.audio) {
      // Before the title: it needs the sound server's address in its environment.
      this.audio = await SessionAudio.start({ router, sessionId: this.id, logger: this.log });
      this.watch(this.audio.sound.process, 'sound server');
      this.watch(this.audio.encoder, 'audio encoder');
    }
    this.title = await TitleProcess.start({
      manifest,
      titleDir: this.options.titleDir,
      display: this.display.display,
      ...(this.audio ? { soundEnv: this.audio.titleEnv } : {}),
      logger: this.log,
    });
    this.watch(this.title.process, 'game');
    this.input = await SessionInput.connect({ display: this.display.display, manifest, logger: this.log });

    this.plainTransport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      // The encoder sends RTP only; keyframe requests reach it through the producer's trace events.
      rtcpMux: true,
      comedia: true,
    });
    const ssrc = randomInt(1, 2 ** 31);
    const maxKbps = videoBitrateKbps(manifest);
    this.producer = await this.plainTransport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: H264_PAYLOAD_TYPE,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
          },
        ],
        // The consumers inherit it as the bitrate they want, so mediasoup's bandwidth
        // estimator keeps probing up to the title's full quality after a bad spell.
        encodings: [{ ssrc, maxBitrate: maxKbps * 1000 }],
      },
      appData: { sessionId: this.id },
    });
    this.encoder = VideoEncoder.start({
      display: this.display.display,
      width,
      height,
      fps: manifest.fps,
      rtpPort: this.plainTransport.tuple.localPort,
      ssrc,
      payloadType: H264_PAYLOAD_TYPE,
      bitrateKbps: maxKbps,
      encoder: this.paths.encodePath,
      logger: this.log,
    });
    this.watch(this.encoder.process, 'encoder');
    await forwardKeyFrameRequests(this.producer, this.encoder, this.log);
    if (this.options.adaptiveVideo !== false && this.encoder.steerable) {
      this.adaptive = new AdaptiveVideo({
        encoder: this.encoder,
        title: { width, height, fps: manifest.fps },
        maxKbps,
        minKbps: MIN_VIDEO_BITRATE_KBPS,
        reservedKbps: manifest.audio ? AUDIO_BITRATE_KBPS : 0,
        logger: this.log,
      });
    }
    this.directTransport = await router.createDirectTransport();
  }

  async createTransport(
    direction: 'send' | 'recv',
    numSctpStreams?: { OS: number; MIS: number },
  ): Promise<TransportInfo> {
    this.assertOpen();
    if (this.directions.has(direction)) {
      throw makeError(ErrorCode.SESSION_STATE, `a ${direction} transport already exists for this session`);
    }
    const announced = this.options.rtcAnnouncedAddress;
    const listenInfo = {
      ip: this.options.rtcListenIp,
      ...(announced === undefined ? {} : { announcedAddress: announced }),
    };
    const transport = await this.options.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ...listenInfo },
        { protocol: 'tcp', ...listenInfo },
      ],
      enableSctp: direction === 'send',
      ...(numSctpStreams === undefined ? {} : { numSctpStreams }),
      initialAvailableOutgoingBitrate: videoBitrateKbps(this.options.manifest) * 1000,
      appData: { direction },
    });
    this.transports.set(transport.id, transport);
    this.directions.set(direction, transport.id);
    if (direction === 'recv') {
      // The viewer's consumer becomes active only now: a keyframe before this was dropped for it.
      transport.on('dtlsstatechange', (state) => {
        if (state === 'connected') this.encoder?.requestKeyFrame();
      });
    }
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      ...(transport.sctpParameters === undefined ? {} : { sctpParameters: transport.sctpParameters }),
    };
  }

  /**
   * Closes the player's WebRTC transports (and with them their consumers and the input
   * channel) while the game and encoder run on: the connection that used them is gone,
   * and a resuming page creates new ones.
   */
  dropPlayerTransports(): void {
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.directions.clear();
    this.consumers.clear();
  }

  /** New ICE credentials for a transport whose path broke while signaling stayed up. */
  async restartIce(transportId: string): Promise<unknown> {
    this.assertOpen();
    return this.transport(transportId).restartIce();
  }

  async connectTransport(transportId: string, dtlsParameters: mediasoup.types.DtlsParameters): Promise<void> {
    await this.transport(transportId).connect({ dtlsParameters });
  }

  async consume(rtpCapabilities: mediasoup.types.RtpCapabilities): Promise<ConsumerInfo[]> {
    this.assertOpen();
    const producer = this.producer;
    const recvId = this.directions.get('recv');
    if (!producer || recvId === undefined) {
      throw makeError(ErrorCode.SESSION_STATE, 'create a recv transport before consuming');
    }
    if (!this.options.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'this browser cannot decode the stream (H.264 is required)');
    }
    const producers = [producer];
    const audio = this.audio?.producer;
    if (audio && this.options.router.canConsume({ producerId: audio.id, rtpCapabilities })) producers.push(audio);
    else if (audio) this.log.warn('this browser cannot decode Opus; streaming the picture without sound');
    const answers: ConsumerInfo[] = [];
    for (const { id: producerId } of producers) {
      const recv = this.transport(recvId);
      const consumer = await recv.consume({ producerId, rtpCapabilities, paused: true });
      this.consumers.set(consumer.id, consumer);
      // The encoder follows the player's link: the last video consumer made on this session.
      if (producerId === producer.id) this.adaptive?.follow(recv, consumer);
      consumer.on('producerclose', () => this.consumers.delete(consumer.id));
      answers.push({ id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters });
    }
    return answers;
  }

  async resume(consumerId: string): Promise<void> {
    const consumer = this.consumers.get(consumerId);
    if (!consumer) throw makeError(ErrorCode.INVALID_MESSAGE, 'no such consumer in this session');
    await consumer.resume();
    // The viewer's first picture: straight from the encoder (mediasoup drops a request made while
    // the transport is still connecting), and through mediasoup as a PLI for good measure.
    if (consumer.kind === 'video') {
      this.encoder?.requestKeyFrame();
      await consumer.requestKeyFrame();
    }
  }

  async produceData(
    transportId: string,
    sctpStreamParameters: mediasoup.types.SctpStreamParameters,
    label: string,
    protocol: string,
  ): Promise<string> {
    this.assertOpen();
    if (label !== INPUT_CHANNEL_LABEL) {
      throw makeError(ErrorCode.INVALID_MESSAGE, `only the "${INPUT_CHANNEL_LABEL}" data channel is accepted`);
    }
    if (this.directions.get('send') !== transportId) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'data must be produced on this session’s send transport');
    }
    const direct = this.directTransport;
    if (!direct) throw makeError(ErrorCode.SESSION_STATE, 'session is not ready');
    const dataProducer = await this.transport(transportId).produceData({ sctpStreamParameters, label, protocol });
    const dataConsumer = await direct.consumeData({ dataProducerId: dataProducer.id });
    dataConsumer.on('message', (message) => this.onInput(message));
    return dataProducer.id;
  }

  private onInput(message: Buffer): void {
    const rejected = this.input?.handle(message);
    if (rejected) this.emit('inputRejected', { code: rejected.code, message: rejected.message });
  }

  /** Ends the session; resolves when every process and transport is gone. Idempotent. */
  close(code: string = 'SESSION_ENDED', reason = 'the session ended'): Promise<void> {
    this.closing ??= this.settledStart().then(() => this.teardown({ code, reason }));
    return this.closing;
  }

  /** Waits for a start in progress to finish either way; start() reports its failure. */
  private async settledStart(): Promise<void> {
    try {
      await this.starting;
    } catch {
      // start() logs and reports this failure to its caller.
    }
  }

  private async teardown(info: SessionEnded): Promise<void> {
    this.endInfo = info;
    this.log.info(info, 'session ending');
    this.adaptive?.close();
    for (const transport of this.transports.values()) transport.close();
    this.directTransport?.close();
    this.plainTransport?.close();
    const results: PromiseSettledResult<unknown>[] = await Promise.allSettled([
      this.encoder?.close(),
      this.audio?.close(),
      this.input?.close(),
      this.title?.close(),
    ]);
    // The display goes last: the game and encoder are its clients.
    results.push(...(await Promise.allSettled([this.display?.close()])));
    for (const result of results) {
      if (result.status === 'rejected') this.log.error({ error: String(result.reason) }, 'teardown step failed');
    }
    this.log.info('session ended');
    this.emit('ended', info);
  }

  get ended(): SessionEnded | undefined {
    return this.endInfo;
  }

  /** The encoder's stream as mediasoup receives it: bitrate (bit/s) and score (0-10); none before it starts. */
  async videoStats(): Promise<{ bitrateBps: number; score: number; fps?: number | undefined } | undefined> {
    const producer = this.producer;
    if (!producer || producer.closed) return undefined;
    const [stats] = await producer.getStats();
    return stats ? { bitrateBps: stats.bitrate, score: stats.score, fps: this.encoder?.stats?.encoded } : undefined;
  }

  private watch(process: ManagedProcess, what: string): void {
    process.on('died', (exit) => {
      const how = exit.signal ? `was killed (${exit.signal})` : `exited (code ${exit.code})`;
      void this.close('SESSION_CRASHED', `the ${what} stopped unexpectedly: it ${how}`);
    });
  }

  private transport(id: string): mediasoup.types.WebRtcTransport {
    const transport = this.transports.get(id);
    if (!transport) throw makeError(ErrorCode.INVALID_MESSAGE, 'no such transport in this session');
    return transport;
  }

  private assertOpen(): void {
    if (this.closing) throw makeError(ErrorCode.SESSION_STATE, 'the session has ended');
  }
}
