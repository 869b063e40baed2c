import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  CandidatesRequestSchema,
  CatalogListRequestSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  SessionRequestSchema,
  type BrokerToPlayerEvents,
  type PlayerToBrokerEvents,
} from '@edgeplay/shared';
import type { EdgeTitles } from '../catalog/edge-titles.js';
import type { Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import type { PlayerSessions } from './player-sessions.js';
import { listCandidates, placePlayer } from './placement.js';

export interface PlayerHandlerDeps {
  store: Store;
  players: PlayerSessions;
  titles: EdgeTitles;
  tickets: TicketIssuer;
  logger: Logger;
}

/** Messages from players' browsers on the default namespace. */
export function attachPlayerNamespace(
  namespace: Namespace<PlayerToBrokerEvents, BrokerToPlayerEvents>,
  deps: PlayerHandlerDeps,
): void {
  const { titles, logger } = deps;
  namespace.on('connection', (socket: Socket<PlayerToBrokerEvents, BrokerToPlayerEvents>) => {
    const log = logger.child({ playerSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'player request failed');

    socket.on('disconnect', () => deps.players.forgetSocket(socket.id));

    socket.on('catalog:list', (payload, ack) =>
      answerRequest(
        ack,
        () => {
          parseOrThrow(CatalogListRequestSchema, payload, 'catalog:list');
          return { titles: titles.list() };
        },
        onInternalError,
      ),
    );

    socket.on('session:candidates', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const request = parseOrThrow(CandidatesRequestSchema, payload, 'session:candidates');
          if (!titles.has(request.titleId)) {
            throw makeError(ErrorCode.TITLE_NOT_FOUND, `no node offers "${request.titleId}"`);
          }
          return { candidates: await listCandidates(deps.store, request.titleId, request.location) };
        },
        onInternalError,
      ),
    );

    socket.on('session:request', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const request = parseOrThrow(SessionRequestSchema, payload, 'session:request');
          if (!titles.has(request.titleId)) {
            throw makeError(ErrorCode.TITLE_NOT_FOUND, `no node offers "${request.titleId}"`);
          }
          const placement = await placePlayer({ ...deps, logger: log }, request);
          deps.players.add(placement.sessionId, socket);
          return placement;
        },
        onInternalError,
      ),
    );
  });
}
