import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EDGE_NAMESPACE } from '@edgeplay/shared';
import { limitSocketEvents, RateLimiter, type RateLimit } from '@edgeplay/shared/node';
import { EdgeTitles } from './catalog/edge-titles.js';
import type { BrokerConfig } from './config.js';
import { attachEdgeNamespace } from './edges/edge-handlers.js';
import { startLeaseReaper, type LeaseReaper } from './edges/lease-reaper.js';
import { createHttpApp } from './http-app.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { attachLedgerHandlers } from './ledger/ledger-handlers.js';
import type { Ledger } from './ledger/ledger.js';
import { openLedger } from './ledger/open-ledger.js';
import { attachPlayerNamespace } from './players/player-handlers.js';
import { sessionRoom } from './players/session-room.js';
import { WaitingRoom } from './players/waiting-room.js';
import { createCatalog, PEER_TIMEOUT_MS } from './catalog/catalog.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { TicketIssuer } from './tickets/ticket-issuer.js';

export interface BrokerDeps {
  config: BrokerConfig;
  logger: Logger;
}

export interface Broker {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  /** The usage ledger once started (epochs are closed through it). */
  ledger(): Ledger | undefined;
}

/** A sustained rate, with bursts of twice that. */
function burstOf(perSecond: number): RateLimit {
  return { perSecond, burst: 2 * perSecond };
}

/** The session broker: web client, player namespace, edge namespace. Listens on start(). */
export function createBroker({ config, logger }: BrokerDeps): Broker {
  let http: HttpServer | undefined;
  let io: Server | undefined;
  let store: Store | undefined;
  let reaper: LeaseReaper | undefined;
  let adapterClients: Redis[] = [];
  let ledger: Ledger | undefined;
  let tickets: TicketIssuer | undefined;

  return {
    async start() {
      store = await openStore({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
      ledger = await openLedger({
        redisUrl: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        rateCard: config.rateCard,
        feeBps: config.protocolFeeBps,
        logger,
      });
      const titles = new EdgeTitles();
      tickets = await TicketIssuer.create(config.brokerKeyFile, config.ticketTtlMs, {
        signOnWorker: true,
        onWorkerFailure: (error) =>
          logger.error({ error: error.message }, 'ticket signing worker failed; signing on the event loop'),
      });
      if (!config.brokerKeyFile) logger.warn('BROKER_KEY_FILE unset: tickets are signed with a key made for this run');
      const app = createHttpApp({ clientDir: config.clientDir, titles });
      http = createServer(app);
      // websocket only: no long-polling, so no sticky sessions are needed behind a balancer.
      io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024, serveClient: false });
      if (config.redisUrl) {
        // Several brokers: room emits and catalog questions reach every broker's sockets.
        const pub = new Redis(config.redisUrl, { lazyConnect: true });
        const sub = pub.duplicate();
        for (const client of [pub, sub]) {
          client.on('error', (error: Error) => logger.warn({ error: error.message }, 'socket.io redis adapter error'));
        }
        await Promise.all([pub.connect(), sub.connect()]);
        adapterClients = [pub, sub];
        io.adapter(createAdapter(pub, sub, { requestsTimeout: PEER_TIMEOUT_MS }));
      }
      const players = io.of('/');
      // Registered before the namespaces' own handlers, so the limit sees every event first.
      const perAddress = new RateLimiter(burstOf(config.addressEventsPerSecond));
      const limited = (kind: string) => (socket: { id: string; handshake: { address: string } }, event: string) =>
        logger.warn({ socketId: socket.id, address: socket.handshake.address, event }, `${kind} rate-limited`);
      const playerLimit = new RateLimiter(burstOf(config.playerEventsPerSecond));
      const metrics = new BrokerMetrics(players, io.of(EDGE_NAMESPACE), () => waitingRoom.waiting);
      app.setMetrics(metrics.registry);
      players.on('connection', (socket) => {
        limitSocketEvents(socket, { perSocket: playerLimit, perAddress, onLimited: limited('player') });
        socket.use((packet, next) => {
          metrics.observePlayerRequests(packet);
          next();
        });
      });
      const edgeLimit = new RateLimiter(burstOf(config.edgeEventsPerSecond));
      io.of(EDGE_NAMESPACE).on('connection', (socket) => {
        limitSocketEvents(socket, { perSocket: edgeLimit, perAddress, onLimited: limited('edge') });
        socket.use((packet, next) => {
          metrics.observeEdgeEvents(packet);
          next();
        });
      });
      const catalog = createCatalog(titles, config.redisUrl ? players : undefined, logger);
      const waitingRoom = new WaitingRoom({ store, tickets, catalog, players, logger, ledger });
      attachPlayerNamespace(players, { store, waitingRoom, catalog, tickets, logger, ledger });
      attachLedgerHandlers(players, io.of(EDGE_NAMESPACE), { ledger, edgeOf: (id) => titles.edgeOf(id), logger });
      let origins: string[] = config.publicOrigins ?? [];
      attachEdgeNamespace(io.of(EDGE_NAMESPACE), {
        store,
        titles,
        joinToken: config.edgeJoinToken,
        join: { chainId: config.chainId, origins: () => origins },
        sessions: {
          started: (sessionId, titleId, region) => waitingRoom.sessionStarted(sessionId, titleId, region),
          ended: (sessionId) => {
            waitingRoom.sessionEnded(sessionId);
            void waitingRoom
              .drain()
              .catch((error: unknown) => logger.error({ error: String(error) }, 'queue drain failed'));
          },
        },
        brokerPublicKey: tickets.publicKeyBase64,
        leaseMs: config.edgeLeaseMs,
        ledger,
        logger,
      });
      reaper = startLeaseReaper({
        store,
        intervalMs: Math.min(1000, config.edgeLeaseMs / 4),
        logger,
        onTick: async () => {
          await waitingRoom.drain();
          await waitingRoom.pushPositions();
        },
        onExpired: (expired) => {
          for (const sessionId of expired.flatMap((edge) => edge.sessionIds)) {
            players.to(sessionRoom(sessionId)).emit('session:ended', {
              sessionId,
              code: 'EDGE_LOST',
              reason: 'the game node stopped answering; you can play again',
            });
          }
        },
      });
      const server = http;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const url = `http://${config.host}:${port}`;
      if (!config.publicOrigins) {
        origins = [url, ...(config.host === '127.0.0.1' ? [`http://localhost:${port}`] : [])];
      }
      logger.info({ url, port }, 'broker listening');
      return { url, port };
    },

    async stop() {
      await reaper?.stop();
      io?.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        if (!io) return resolve();
        io.close(() => resolve());
        // Keep-alive connections of page loads would hold close() open for minutes.
        http?.closeAllConnections();
      });
      await store?.close();
      await ledger?.close();
      await tickets?.close();
      await Promise.all(adapterClients.map((client) => client.quit()));
      logger.info('broker stopped');
    },

    ledger: () => ledger,
  };
}
