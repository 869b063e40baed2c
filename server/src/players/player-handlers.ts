import type { Namespace, Socket } from 'socket.io';
import { importSessionPublicKey, verifySessionSignature } from '@edgeplay/shared/node';
import type { Logger } from 'pino';
import {
  answerRequest,
  CandidatesRequestSchema,
  ErrorCode,
  makeError,
  CatalogListRequestSchema,
  QueueJoinSchema,
  QueueLeaveSchema,
  parseOrThrow,
  playerRejoinMessage,
  SessionCheckSchema,
  SessionRejoinSchema,
  SessionRequestSchema,
  type BrokerToPlayerEvents,
  type Location,
  type PlayerToBrokerEvents,
} from '@edgeplay/shared';
import type { Catalog } from '../catalog/catalog.js';
import type { EdgeLoss } from '../edges/edge-loss.js';
import type { SessionRecorder } from '../ledger/ledger.js';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { sessionRoom } from './session-room.js';
import { queueRoom, type WaitingRoom } from './waiting-room.js';
import { listCandidates, placePlayer } from './placement.js';
import { locationFromHeaders, type LocationHeaders } from './player-location.js';

export interface PlayerHandlerDeps {
  store: Store;
  waitingRoom: WaitingRoom;
  catalog: Catalog;
  tickets: TicketIssuer;
  logger: Logger;
  ledger?: SessionRecorder | undefined;
  /** Where the proxy says players are (PLAYER_LOCATION_HEADERS); absent: only what pages send. */
  locationHeaders?: LocationHeaders | undefined;
  /** Answers a page that lost its edge (session:check); absent: the check is refused. */
  edgeLoss?: Pick<EdgeLoss, 'check'> | undefined;
}

/** Messages from players' browsers on the default namespace. */
export function attachPlayerNamespace(
  namespace: Namespace<PlayerToBrokerEvents, BrokerToPlayerEvents>,
  deps: PlayerHandlerDeps,
): void {
  const { catalog, logger } = deps;
  namespace.on('connection', (socket: Socket<PlayerToBrokerEvents, BrokerToPlayerEvents>) => {
    const log = logger.child({ playerSocket: socket.id });
    // A position the page sends wins; otherwise the proxy's, read once per connection.
    const proxied = locationFromHeaders(socket.handshake.headers, deps.locationHeaders);
    const located = <T extends { location?: Location | undefined }>(request: T): T =>
      request.location || !proxied ? request : { ...request, location: proxied };
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'player request failed');

    socket.on('catalog:list', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          parseOrThrow(CatalogListRequestSchema, payload, 'catalog:list');
          return { titles: await catalog.list() };
        },
        onInternalError,
      ),
    );

    socket.on('session:candidates', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const request = located(parseOrThrow(CandidatesRequestSchema, payload, 'session:candidates'));
          const title = await catalog.title(request.titleId);
          return { candidates: await listCandidates(deps.store, request.titleId, request.location, title) };
        },
        onInternalError,
      ),
    );

    socket.on('disconnect', () => {
      deps.waitingRoom.socketGone(socket.id).catch((error: unknown) => onInternalError(error));
    });

    socket.on('queue:join', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const request = located(parseOrThrow(QueueJoinSchema, payload, 'queue:join'));
          const position = await deps.waitingRoom.join(request, socket.id);
          await socket.join(queueRoom(position.entryId));
          log.info(
            {
              entryId: position.entryId,
              titleId: request.titleId,
              region: position.region,
              position: position.position,
            },
            'player queued',
          );
          return position;
        },
        onInternalError,
      ),
    );

    socket.on('queue:leave', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const { titleId, entryId } = parseOrThrow(QueueLeaveSchema, payload, 'queue:leave');
          await deps.waitingRoom.leave(titleId, entryId, socket.id);
          await socket.leave(queueRoom(entryId));
          return {};
        },
        onInternalError,
      ),
    );

    socket.on('session:request', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const request = located(parseOrThrow(SessionRequestSchema, payload, 'session:request'));
          const { minGpuTier } = await catalog.title(request.titleId);
          const placement = await placePlayer({ ...deps, logger: log }, { ...request, minGpuTier });
          // The player hears from any broker if the edge is lost (see sessionRoom).
          await socket.join(sessionRoom(placement.sessionId));
          return placement;
        },
        onInternalError,
      ),
    );

    socket.on('session:rejoin', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const { ticket, signature } = parseOrThrow(SessionRejoinSchema, payload, 'session:rejoin');
          // A ticket this broker's key signed names the session and the player key; the page
          // must hold that key, and sign for this very connection.
          const granted = deps.tickets.read(ticket);
          const message = Buffer.from(playerRejoinMessage(socket.id, ticket));
          const key = importSessionPublicKey(granted.playerKey);
          if (!verifySessionSignature(key, message, Buffer.from(signature.slice(2), 'hex'))) {
            throw makeError(ErrorCode.UNAUTHORIZED, 'the rejoin was not signed by the player of this session');
          }
          await socket.join(sessionRoom(granted.sessionId));
          log.info({ sessionId: granted.sessionId }, 'player rejoined its session');
          return { sessionId: granted.sessionId };
        },
        onInternalError,
      ),
    );

    socket.on('session:check', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const { sessionId } = parseOrThrow(SessionCheckSchema, payload, 'session:check');
          // Only the page placed in this session (on this connection) may have its edge judged lost.
          if (!socket.rooms.has(sessionRoom(sessionId)) || !deps.edgeLoss) {
            throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this page has no such session');
          }
          return { edge: await deps.edgeLoss.check(sessionId) };
        },
        onInternalError,
      ),
    );
  });
}
