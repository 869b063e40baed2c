import { timingSafeEqual } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  EdgeLoadSchema,
  EdgeRegisterSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  type EdgeToBrokerEvents,
} from '@edgeplay/shared';
import type { EdgeRegistry } from './edge-registry.js';

export interface EdgeHandlerDeps {
  registry: EdgeRegistry;
  joinToken: string;
  brokerPublicKey: string;
  logger: Logger;
}

function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Messages from edge nodes on the /edge namespace. */
export function attachEdgeNamespace(namespace: Namespace<EdgeToBrokerEvents>, deps: EdgeHandlerDeps): void {
  const { registry, logger } = deps;
  namespace.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
    if (tokenMatches(token, deps.joinToken)) next();
    else next(Object.assign(new Error('edge join token refused'), { data: { code: ErrorCode.UNAUTHORIZED } }));
  });

  namespace.on('connection', (socket: Socket<EdgeToBrokerEvents>) => {
    const log = logger.child({ edgeSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'edge request failed');

    socket.on('edge:register', (payload, ack) =>
      answerRequest(
        ack,
        () => {
          const registration = parseOrThrow(EdgeRegisterSchema, payload, 'edge:register');
          registry.upsert(socket.id, registration);
          log.info({ edgeId: registration.edgeId, titles: registration.titles.map((t) => t.id) }, 'edge registered');
          return { brokerPublicKey: deps.brokerPublicKey };
        },
        onInternalError,
      ),
    );

    socket.on('edge:load', (payload, ack) =>
      answerRequest(
        ack,
        () => {
          const load = parseOrThrow(EdgeLoadSchema, payload, 'edge:load');
          if (!registry.bySocket(socket.id)) throw makeError(ErrorCode.UNAUTHORIZED, 'register first');
          registry.setLoad(socket.id, load.activeSessions);
          return {};
        },
        onInternalError,
      ),
    );

    socket.on('disconnect', (reason) => {
      const edgeId = registry.removeSocket(socket.id);
      if (edgeId) log.warn({ edgeId, reason }, 'edge left');
    });
  });
}
