import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  EdgeHeartbeatSchema,
  EdgeRegisterSchema,
  EdgeSessionEventSchema,
  ErrorCode,
  makeError,
  parseOrThrow,
  type EdgeToBrokerEvents,
} from '@edgeplay/shared';
import type { EdgeTitles } from '../catalog/edge-titles.js';
import type { EdgeJoined } from '../ledger/ledger.js';
import type { Store } from '../store/store.js';
import { EdgeJoin, tokenMatches, type EdgeJoinPolicy } from './edge-join.js';
import { edgeRoom } from './edge-loss.js';

export interface EdgeHandlerDeps {
  store: Store;
  titles: EdgeTitles;
  joinToken: string | undefined;
  join: EdgeJoinPolicy;
  brokerPublicKey: string;
  /** An edge that sends no heartbeat for this long leaves routing and loses its slots. */
  leaseMs: number;
  /** Told when an edge reports a session started or ended (queue ETAs, draining). */
  sessions: {
    /** `studioId`: the studio the edge advertised the title for (play-minutes), if any. */
    started(sessionId: string, titleId: string, region: string, studioId?: string): void;
    ended(sessionId: string): void;
  };
  /** The usage ledger, told which session key the operator authorised (it checks the edge's receipts). */
  ledger?: { edgeJoined(join: EdgeJoined): Promise<void> } | undefined;
  logger: Logger;
}

/** Messages from edge nodes on the /edge namespace. */
export function attachEdgeNamespace(namespace: Namespace<EdgeToBrokerEvents>, deps: EdgeHandlerDeps): void {
  const { store, titles, logger } = deps;
  namespace.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
    if (tokenMatches(token, deps.joinToken)) next();
    else next(Object.assign(new Error('edge join token refused'), { data: { code: ErrorCode.UNAUTHORIZED } }));
  });

  namespace.on('connection', (socket: Socket<EdgeToBrokerEvents>) => {
    const log = logger.child({ edgeSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'edge request failed');
    const join = new EdgeJoin(deps.join);
    let sessionKeyExpiresAt = 0;
    let region = '';
    const registeredEdge = (): string => {
      const edgeId = titles.edgeOf(socket.id);
      if (!edgeId) throw makeError(ErrorCode.UNAUTHORIZED, 'register first');
      // What the edge signs with its session key is only good while that key is.
      if (Date.now() >= sessionKeyExpiresAt) {
        throw makeError(ErrorCode.UNAUTHORIZED, 'the session key expired; register again');
      }
      return edgeId;
    };

    socket.on('edge:challenge', (_payload, ack) => answerRequest(ack, () => join.challenge(), onInternalError));

    socket.on('edge:register', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const edge = parseOrThrow(EdgeRegisterSchema, payload, 'edge:register');
          const verified = await join.verify(edge.proof, edge.edgeId);
          const { operator } = verified;
          const known = await store.getEdge(edge.edgeId);
          if (known && known.operator !== operator) {
            throw makeError(ErrorCode.UNAUTHORIZED, `edge id "${edge.edgeId}" belongs to another operator`);
          }
          // Before the edge is routable: a player placed on it must find its key and titles in the ledger.
          await deps.ledger?.edgeJoined({
            edgeId: edge.edgeId,
            operator,
            sessionKey: verified.sessionKey,
            sessionKeyExpiresAt: verified.sessionKeyExpiresAt,
            gpuClass: edge.gpuClass,
            titles: edge.titles,
          });
          await store.upsertEdge(
            {
              edgeId: edge.edgeId,
              operator,
              signalingUrl: edge.signalingUrl,
              region: edge.region,
              lat: edge.location.lat,
              lon: edge.location.lon,
              titles: edge.titles.map((title) => title.id),
              maxSessions: edge.maxSessions,
              gpuClass: edge.gpuClass,
              sessionKey: verified.sessionKey,
              sessionKeyExpiresAt: verified.sessionKeyExpiresAt,
            },
            deps.leaseMs,
          );
          titles.set(socket.id, edge.edgeId, edge.titles);
          // Any broker can then tell whether some broker holds a link to this edge (EdgeLoss).
          await socket.join(edgeRoom(edge.edgeId));
          sessionKeyExpiresAt = verified.sessionKeyExpiresAt;
          region = edge.region;
          log.info(
            {
              edgeId: edge.edgeId,
              operator,
              titles: edge.titles.map((t) => t.id),
              gpuClass: edge.gpuClass,
              gpus: edge.capabilities?.gpus.map((gpu) => gpu.model) ?? [],
              cpuOnly: edge.capabilities ? edge.capabilities.gpus.length === 0 : undefined,
              encoders: edge.capabilities?.encoders,
            },
            'edge registered',
          );
          return { brokerPublicKey: deps.brokerPublicKey, leaseMs: deps.leaseMs };
        },
        onInternalError,
      ),
    );

    socket.on('edge:heartbeat', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const beat = parseOrThrow(EdgeHeartbeatSchema, payload, 'edge:heartbeat');
          const edgeId = registeredEdge();
          if (!(await store.renewLease(edgeId, deps.leaseMs))) {
            throw makeError(ErrorCode.UNAUTHORIZED, 'the lease lapsed; register again');
          }
          log.debug({ edgeId, activeSessions: beat.activeSessions, gpus: beat.gpus }, 'heartbeat');
          return {};
        },
        onInternalError,
      ),
    );

    socket.on('edge:session', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const event = parseOrThrow(EdgeSessionEventSchema, payload, 'edge:session');
          const edgeId = registeredEdge();
          if (event.state === 'started') {
            deps.sessions.started(
              event.sessionId,
              event.titleId ?? 'unknown',
              region,
              titles.studioOf(socket.id, event.titleId),
            );
            if (!(await store.confirmSlot(event.sessionId))) {
              log.warn({ edgeId, sessionId: event.sessionId }, 'session started without a live reservation');
            }
          } else {
            if (await store.releaseSlot(event.sessionId, 'ended')) {
              log.info({ edgeId, sessionId: event.sessionId }, 'slot freed');
            }
            deps.sessions.ended(event.sessionId);
          }
          return {};
        },
        onInternalError,
      ),
    );

    socket.on('disconnect', (reason) => {
      // The edge keeps its slots (its players stream from it, not from us) until its
      // lease lapses; a quick reconnect re-registers and renews it.
      const edgeId = titles.remove(socket.id);
      if (edgeId) log.warn({ edgeId, reason }, 'edge disconnected');
    });
  });
}
