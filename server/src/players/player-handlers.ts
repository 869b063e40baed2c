import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  CatalogListRequestSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  SessionRequestSchema,
  type PlayerToBrokerEvents,
} from '@edgeplay/shared';
import type { EdgeRegistry } from '../edges/edge-registry.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';

export interface PlayerHandlerDeps {
  registry: EdgeRegistry;
  tickets: TicketIssuer;
  logger: Logger;
}

/** Messages from players' browsers on the default namespace. */
export function attachPlayerNamespace(namespace: Namespace<PlayerToBrokerEvents>, deps: PlayerHandlerDeps): void {
  const { registry, tickets, logger } = deps;
  namespace.on('connection', (socket: Socket<PlayerToBrokerEvents>) => {
    const log = logger.child({ playerSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'player request failed');

    socket.on('catalog:list', (payload, ack) =>
      answerRequest(
        ack,
        () => {
          parseOrThrow(CatalogListRequestSchema, payload, 'catalog:list');
          return { titles: registry.catalog() };
        },
        onInternalError,
      ),
    );

    socket.on('session:request', (payload, ack) =>
      answerRequest(
        ack,
        () => {
          const { titleId } = parseOrThrow(SessionRequestSchema, payload, 'session:request');
          if (!registry.hasTitle(titleId)) throw makeError(ErrorCode.TITLE_NOT_FOUND, `no node offers "${titleId}"`);
          const now = Date.now();
          const edge = registry.reserve(titleId, now + tickets.ttlMs, now);
          if (!edge) throw makeError(ErrorCode.NO_CAPACITY, 'every node that runs this game is busy; try again soon');
          const { sessionId, ticket } = tickets.issue(edge.edgeId, titleId, now);
          log.info({ sessionId, edgeId: edge.edgeId, titleId }, 'player placed');
          return { sessionId, ticket, edge: { edgeId: edge.edgeId, signalingUrl: edge.signalingUrl } };
        },
        onInternalError,
      ),
    );
  });
}
