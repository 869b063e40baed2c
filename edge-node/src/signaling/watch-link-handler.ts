import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  ErrorCode,
  makeError,
  parseOrThrow,
  WatchLinkRequestSchema,
  type EdgeToPlayerWatchEvents,
  type PlayerWatchEvents,
} from '@edgeplay/shared';
import type { SpectatorHub, WatchableSession } from '../spectate/spectator-hub.js';
import { watchRoom } from './spectator-handlers.js';

export type WatchLinkSocket = Socket<PlayerWatchEvents, EdgeToPlayerWatchEvents>;

/**
 * `watch:link` on the player's own signaling socket: only the page that opened the
 * session (it holds the session through this socket) can mint links to watch it. The
 * socket then also hears the viewer count.
 */
export function attachWatchLinkHandler(
  socket: WatchLinkSocket,
  ownSession: () => WatchableSession | undefined,
  hub: SpectatorHub,
  logger: Logger,
): void {
  const log = logger.child({ socketId: socket.id });
  socket.on('watch:link', (payload, ack) =>
    answerRequest(
      ack,
      async () => {
        parseOrThrow(WatchLinkRequestSchema, payload, 'watch:link');
        const session = ownSession();
        if (!session || session.closed) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'join a session first');
        const link = hub.mintLink(session);
        await socket.join(watchRoom(session.id));
        return link;
      },
      (error) => log.error({ error: String(error) }, 'request failed'),
    ),
  );
}
