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
  ResumeRequestSchema,
  TransportConnectRequestSchema,
  TransportCreateRequestSchema,
  type EdgeToPlayerEvents,
  type PlayerToEdgeEvents,
} from '@edgeplay/shared';
import type { PlaySession } from '../session/play-session.js';

const INPUT_REJECTION_INTERVAL_MS = 1000;

export type PlayerSocket = Socket<PlayerToEdgeEvents, EdgeToPlayerEvents>;

/** What the handlers need from the edge node: opening a session for a ticket. */
export interface SessionOpener {
  openSession(ticket: string, signature: string, log: Logger): Promise<PlaySession>;
}

/**
 * Messages from one player's browser. Each is parsed before use; a socket drives at
 * most one session, and the session ends when the socket goes away.
 */
export function attachPlayerHandlers(socket: PlayerSocket, opener: SessionOpener, logger: Logger): void {
  const log = logger.child({ socketId: socket.id });
  let session: PlaySession | undefined;
  let joining = false;
  const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'request failed');

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
          const opened = await opener.openSession(ticket, signature, log);
          session = opened;
          opened.on('ended', (info) => socket.emit('session:ended', info));
          let lastRejection = 0;
          opened.on('inputRejected', (info) => {
            // A page sending junk on every frame must not turn into a flood the other way.
            const now = Date.now();
            if (now - lastRejection < INPUT_REJECTION_INTERVAL_MS) return;
            lastRejection = now;
            log.warn(info, 'input rejected');
            socket.emit('input:rejected', info);
          });
          if (socket.disconnected) await opened.close('PLAYER_LEFT', 'the player left');
          return { sessionId: opened.id, titleId: opened.titleId, routerRtpCapabilities: opened.rtpCapabilities };
        } finally {
          joining = false;
        }
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
    if (session && !session.closed) void session.close('PLAYER_LEFT', 'the player left');
  });
}
