import type { Namespace, Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type * as mediasoup from 'mediasoup';
import { limitSocketEvents, RateLimiter } from '@edgeplay/shared/node';
import {
  answerRequest,
  ConsumeRequestSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  ResumeRequestSchema,
  TransportConnectRequestSchema,
  WatchJoinRequestSchema,
  WatchTransportCreateRequestSchema,
  WATCH_NAMESPACE,
  type EdgeToSpectatorEvents,
  type SpectatorToEdgeEvents,
} from '@edgeplay/shared';
import type { SessionAudience } from '../spectate/session-audience.js';
import type { SpectatorHub, SpectatorNotifier } from '../spectate/spectator-hub.js';

export type SpectatorSocket = Socket<SpectatorToEdgeEvents, EdgeToSpectatorEvents>;
export type SpectatorNamespace = Namespace<SpectatorToEdgeEvents, EdgeToSpectatorEvents>;

/** The socket.io room of a session's spectators (in /watch) and of its player (in /). */
export const watchRoom = (sessionId: string): string => `watch:${sessionId}`;

/**
 * Messages from one spectator's browser, in the edge's `/watch` namespace. A spectator
 * joins with a watch token and then only receives: one recv transport, one consumer per
 * producer of the session. Input and ending the session are refused with UNAUTHORIZED;
 * the player's events do not exist in this namespace at all.
 */
export function attachSpectatorHandlers(socket: SpectatorSocket, hub: SpectatorHub, logger: Logger): void {
  const log = logger.child({ socketId: socket.id, role: 'spectator' });
  let audience: SessionAudience | undefined;
  const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'request failed');

  const watching = (): SessionAudience => {
    if (!audience || audience.ended) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'join with a watch link first');
    return audience;
  };

  socket.on('watch:join', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const { token } = parseOrThrow(WatchJoinRequestSchema, payload, 'watch:join');
        if (audience) throw makeError(ErrorCode.SESSION_STATE, 'this connection already watches a session');
        const joined = hub.join(token, socket.id);
        audience = joined.audience;
        if (socket.disconnected) {
          hub.leave(joined.session.id, socket.id);
          throw makeError(ErrorCode.SESSION_NOT_FOUND, 'the spectator left');
        }
        await socket.join(watchRoom(joined.session.id));
        return {
          sessionId: joined.session.id,
          titleId: joined.session.titleId,
          routerRtpCapabilities: joined.session.rtpCapabilities,
          viewers: joined.audience.viewers,
          maxViewers: joined.audience.maxViewers,
        };
      },
      onInternalError,
    ),
  );

  socket.on('transport:create', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        parseOrThrow(WatchTransportCreateRequestSchema, payload, 'transport:create (spectators only receive)');
        return { transport: await watching().createTransport(socket.id) };
      },
      onInternalError,
    ),
  );

  socket.on('transport:connect', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        const request = parseOrThrow(TransportConnectRequestSchema, payload, 'transport:connect');
        await watching().connect(
          socket.id,
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
        const consumers = await watching().consume(
          socket.id,
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
        await watching().resume(socket.id, request.consumerId);
        return {};
      },
      onInternalError,
    ),
  );

  socket.on('data:produce', (_payload, ack) =>
    answerRequest(
      ack,
      () => {
        throw makeError(ErrorCode.UNAUTHORIZED, 'spectators cannot send input');
      },
      onInternalError,
    ),
  );

  socket.on('session:end', (_payload, ack) =>
    answerRequest(
      ack,
      () => {
        throw makeError(ErrorCode.UNAUTHORIZED, 'only the player can end the session');
      },
      onInternalError,
    ),
  );

  socket.on('disconnect', (reason) => {
    if (!audience) return;
    log.info({ reason, sessionId: audience.sessionId }, 'spectator disconnected');
    hub.leave(audience.sessionId, socket.id);
  });
}

/**
 * Viewer counts to the session's spectators and its player; the end of the session to
 * the spectators, who are then disconnected (their transports are already closed).
 */
export function spectatorNotifier(io: Server, spectators: SpectatorNamespace): SpectatorNotifier {
  return {
    viewers(sessionId, info) {
      spectators.to(watchRoom(sessionId)).emit('watch:viewers', info);
      io.to(watchRoom(sessionId)).emit('watch:viewers', info);
    },
    ended(sessionId, info) {
      const room = spectators.in(watchRoom(sessionId));
      room.emit('session:ended', info);
      room.disconnectSockets();
    },
  };
}

export interface SpectatorLimits {
  /** Messages one spectator page may send per second (bursts of twice that pass). */
  eventsPerSecond: number;
  /** Messages all spectator pages at one address may send per second. */
  addressEventsPerSecond: number;
}

/**
 * Opens the `/watch` namespace on the edge's signaling server. Spectators get rate-limit
 * buckets of their own: a crowd watching from one address must not throttle the player there.
 */
export function serveSpectators(io: Server, hub: SpectatorHub, limits: SpectatorLimits, logger: Logger): void {
  const spectators: SpectatorNamespace = io.of(WATCH_NAMESPACE);
  const socketLimits = {
    perSocket: new RateLimiter({ perSecond: limits.eventsPerSecond, burst: 2 * limits.eventsPerSecond }),
    perAddress: new RateLimiter({ perSecond: limits.addressEventsPerSecond, burst: 2 * limits.addressEventsPerSecond }),
    onLimited: (limited: { id: string; handshake: { address: string } }, event: string) =>
      logger.warn({ socketId: limited.id, address: limited.handshake.address, event }, 'spectator rate-limited'),
  };
  spectators.on('connection', (socket) => {
    limitSocketEvents(socket, socketLimits);
    attachSpectatorHandlers(socket, hub, logger);
  });
  hub.setNotifier(spectatorNotifier(io, spectators));
}
