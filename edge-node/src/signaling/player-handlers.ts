import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import type * as mediasoup from 'mediasoup';
import {
  answerRequest,
  ConsumeRequestSchema,
  DataProduceRequestSchema,
  EmptyRequestSchema,
  ErrorCode,
  JoinRequestSchema,
  makeError,
  parseOrThrow,
  RestartIceRequestSchema,
  ResumeRequestSchema,
  SessionResumeRequestSchema,
  TransportConnectRequestSchema,
  TransportCreateRequestSchema,
  type EdgeToPlayerEvents,
  type PlayerToEdgeEvents,
} from '@edgeplay/shared';
import type { PlaySession } from '../session/play-session.js';

const INPUT_REJECTION_INTERVAL_MS = 1000;

export type PlayerSocket = Socket<PlayerToEdgeEvents, EdgeToPlayerEvents>;

/** A connection that no longer drives its session: another one resumed it. */
export type Displace = () => void;

/** What the handlers need from the edge node: opening, resuming and letting go of sessions. */
export interface SessionOpener {
  openSession(
    ticket: string,
    signature: string,
    log: Logger,
    socketId: string,
    displace: Displace,
  ): Promise<PlaySession>;
  resumeSession(
    request: { sessionId: string; ticket: string; signature: string },
    challenge: string,
    socketId: string,
    displace: Displace,
  ): PlaySession;
  /** The connection driving `sessionId` went away: hold the session for a while. */
  playerGone(sessionId: string, socketId: string): void;
}

/**
 * Messages from one player's browser. Each is parsed before use; a socket drives at
 * most one session. When the socket goes away the session is held for the grace period,
 * and a new socket of the same player may resume it.
 */
export function attachPlayerHandlers(socket: PlayerSocket, opener: SessionOpener, logger: Logger): void {
  const log = logger.child({ socketId: socket.id });
  let session: PlaySession | undefined;
  let joining = false;
  /** This connection's one-time challenge for session:resume. */
  let challenge: string | undefined;
  let detachListeners: (() => void) | undefined;
  const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'request failed');

  const adopt = (taken: PlaySession): void => {
    session = taken;
    const onEnded = (info: { code: string; reason: string }): void => {
      socket.emit('session:ended', info);
    };
    let lastRejection = 0;
    const onRejected = (info: { code: string; message: string }): void => {
      // A page sending junk on every frame must not turn into a flood the other way.
      const now = Date.now();
      if (now - lastRejection < INPUT_REJECTION_INTERVAL_MS) return;
      lastRejection = now;
      log.warn(info, 'input rejected');
      socket.emit('input:rejected', info);
    };
    taken.on('ended', onEnded);
    taken.on('inputRejected', onRejected);
    detachListeners = () => {
      taken.off('ended', onEnded);
      taken.off('inputRejected', onRejected);
    };
  };
  const displace: Displace = () => {
    log.info({ sessionId: session?.id }, 'another connection resumed this session');
    detachListeners?.();
    session = undefined;
    socket.disconnect(true);
  };

  const current = (): PlaySession => {
    if (!session || session.closed) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'join a session first');
    return session;
  };

  socket.on('session:join', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const { ticket, signature } = parseOrThrow(JoinRequestSchema, payload, 'session:join');
        if (session || joining) throw makeError(ErrorCode.SESSION_STATE, 'this connection already has a session');
        joining = true;
        try {
          const opened = await opener.openSession(ticket, signature, log, socket.id, displace);
          adopt(opened);
          if (socket.disconnected) await opened.close('PLAYER_LEFT', 'the player left');
          return { sessionId: opened.id, titleId: opened.titleId, routerRtpCapabilities: opened.rtpCapabilities };
        } finally {
          joining = false;
        }
      },
      onInternalError,
    ),
  );

  socket.on('session:challenge', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        parseOrThrow(EmptyRequestSchema, payload, 'session:challenge');
        challenge = randomBytes(24).toString('base64url');
        return { challenge };
      },
      onInternalError,
    ),
  );

  socket.on('session:resume', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(SessionResumeRequestSchema, payload, 'session:resume');
        if (session || joining) throw makeError(ErrorCode.SESSION_STATE, 'this connection already has a session');
        // One try per challenge: a recorded resume cannot be played again.
        const signed = challenge;
        challenge = undefined;
        if (signed === undefined) throw makeError(ErrorCode.UNAUTHORIZED, 'ask for a session:challenge first');
        const resumed = opener.resumeSession(request, signed, socket.id, displace);
        adopt(resumed);
        if (socket.disconnected) opener.playerGone(resumed.id, socket.id);
        return { sessionId: resumed.id, titleId: resumed.titleId, routerRtpCapabilities: resumed.rtpCapabilities };
      },
      onInternalError,
    ),
  );

  socket.on('transport:restart-ice', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(RestartIceRequestSchema, payload, 'transport:restart-ice');
        return { iceParameters: await current().restartIce(request.transportId) };
      },
      onInternalError,
    ),
  );

  socket.on('transport:create', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(TransportCreateRequestSchema, payload, 'transport:create');
        const transport = await current().createTransport(request.direction, request.sctpCapabilities?.numStreams);
        return { transport };
      },
      onInternalError,
    ),
  );

  socket.on('transport:connect', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(TransportConnectRequestSchema, payload, 'transport:connect');
        await current().connectTransport(
          request.transportId,
          request.dtlsParameters as unknown as mediasoup.types.DtlsParameters,
        );
        return {};
      },
      onInternalError,
    ),
  );

  socket.on('media:consume', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(ConsumeRequestSchema, payload, 'media:consume');
        const consumers = await current().consume(
          request.rtpCapabilities as unknown as mediasoup.types.RtpCapabilities,
        );
        return { consumers };
      },
      onInternalError,
    ),
  );

  socket.on('media:resume', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(ResumeRequestSchema, payload, 'media:resume');
        await current().resume(request.consumerId);
        return {};
      },
      onInternalError,
    ),
  );

  socket.on('data:produce', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(DataProduceRequestSchema, payload, 'data:produce');
        const id = await current().produceData(
          request.transportId,
          request.sctpStreamParameters as unknown as mediasoup.types.SctpStreamParameters,
          request.label,
          request.protocol,
        );
        return { id };
      },
      onInternalError,
    ),
  );

  socket.on('session:end', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        parseOrThrow(EmptyRequestSchema, payload, 'session:end');
        await current().close('PLAYER_ENDED', 'you ended the session');
        return {};
      },
      onInternalError,
    ),
  );

  socket.on('disconnect', (reason) => {
    log.info({ reason }, 'player disconnected');
    detachListeners?.();
    if (session && !session.closed) opener.playerGone(session.id, socket.id);
  });
}
