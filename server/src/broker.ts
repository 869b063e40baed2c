import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EDGE_NAMESPACE, STUDIO_TITLES_CHANGED, type TitleSummary } from '@edgeplay/shared';
import { limitSocketEvents, RateLimiter, type RateLimit } from '@edgeplay/shared/node';
import { EdgeTitles } from './catalog/edge-titles.js';
import type { BrokerConfig } from './config.js';
import { attachEdgeNamespace } from './edges/edge-handlers.js';
import { EdgeLoss } from './edges/edge-loss.js';
import { startLeaseReaper, type LeaseReaper } from './edges/lease-reaper.js';
import { createHttpApp } from './http-app.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { attachLedgerHandlers } from './ledger/ledger-handlers.js';
import type { Ledger } from './ledger/ledger.js';
import { openLedger } from './ledger/open-ledger.js';
import { attachPlayerNamespace } from './players/player-handlers.js';
import { WaitingRoom } from './players/waiting-room.js';
import { createCatalog, PEER_TIMEOUT_MS } from './catalog/catalog.js';
import type { CloseEpoch } from './payouts/epoch-publisher.js';
import { closeLedgerEpoch } from './payouts/ledger-epochs.js';
import { openPayouts, type Payouts } from './payouts/open-payouts.js';
import type { PayoutConfig } from './payouts/payout-config.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { openStudioStore } from './studios/open-studio-store.js';
import { PlayRecorder } from './studios/play-recorder.js';
import type { StudioStore } from './studios/studio-store.js';
import { TicketIssuer } from './tickets/ticket-issuer.js';
import { JoinVerifyWorker } from './edges/join-verify-worker.js';

export interface BrokerDeps {
  config: BrokerConfig;
  logger: Logger;
  /** The chain and publisher settings (loadPayoutConfig); undefined: payouts off. */
  payouts?: PayoutConfig | undefined;
  /**
   * Replaces the usage ledger as the source of an epoch's amounts (tests of the payout half
   * that pay fixed amounts); absent, as in production: the broker's own ledger closes epochs.
   */
  closeEpoch?: CloseEpoch;
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
export function createBroker({ config, logger, payouts: payoutConfig, closeEpoch }: BrokerDeps): Broker {
  let http: HttpServer | undefined;
  let io: Server | undefined;
  let store: Store | undefined;
  let studioStore: StudioStore | undefined;
  let reaper: LeaseReaper | undefined;
  let adapterClients: Redis[] = [];
  let ledger: Ledger | undefined;
  let tickets: TicketIssuer | undefined;
  let joinVerifier: JoinVerifyWorker | undefined;
  let payouts: Payouts | undefined;

  return {
    async start() {
      store = await openStore({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
      const usage = await openLedger({
        redisUrl: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        rateCard: config.rateCard,
        feeBps: config.protocolFeeBps,
        logger,
      });
      ledger = usage;
      studioStore = await openStudioStore({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
      const titles = new EdgeTitles();
      tickets = await TicketIssuer.create(config.brokerKeyFile, config.ticketTtlMs, {
        signOnWorker: true,
        onWorkerFailure: (error) =>
          logger.error({ error: error.message }, 'ticket signing worker failed; signing on the event loop'),
      });
      const verifier = await JoinVerifyWorker.start((error) =>
        logger.error({ error: error.message }, 'join verifying worker failed; checking proofs on the event loop'),
      );
      joinVerifier = verifier;
      if (!config.brokerKeyFile) logger.warn('BROKER_KEY_FILE unset: tickets are signed with a key made for this run');
      if (payoutConfig) {
        payouts = await openPayouts({
          config: payoutConfig,
          chainId: config.chainId,
          redisUrl: config.redisUrl,
          keyPrefix: config.redisKeyPrefix,
          logger,
          verifiedMinutes: (operator, epochs) => usage.verifiedMinutes(operator, epochs),
        });
      }
      // The studio routes ask the catalog, made once socket.io is up; until then, nothing is offered.
      let catalogOf: () => Promise<TitleSummary[]> = () => Promise.resolve([]);
      const app = createHttpApp({
        clientDir: config.clientDir,
        titles,
        studios: {
          store: studioStore,
          adminToken: config.adminToken,
          catalog: { list: () => catalogOf() },
          logger,
          // Through the Redis adapter this reaches the edges of every broker.
          onTitlesChanged: () => io?.of(EDGE_NAMESPACE).emit(STUDIO_TITLES_CHANGED),
        },
        payoutRoutes: {
          logger,
          ...(payouts ? { payouts } : {}),
          ...(payoutConfig?.adminToken ? { adminToken: payoutConfig.adminToken } : {}),
          closeEpoch: closeEpoch ?? closeLedgerEpoch(usage),
        },
      });
      const plays = new PlayRecorder({ store: studioStore, logger });
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
      const publishStore = payouts?.store;
      const metrics = new BrokerMetrics(
        players,
        io.of(EDGE_NAMESPACE),
        () => waitingRoom.waiting,
        publishStore ? () => publishStore.list() : undefined,
      );
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
      catalogOf = () => catalog.list();
      const waitingRoom = new WaitingRoom({ store, tickets, catalog, players, logger, ledger });
      const activeLedger = ledger;
      const edgeLoss = new EdgeLoss({
        store,
        edges: io.of(EDGE_NAMESPACE),
        players,
        sessionEdge: async (sessionId) => (await activeLedger.session(sessionId))?.edgeId,
        // A studio's play time stops with the node.
        onSessionLost: (sessionId) => void plays.ended(sessionId),
        logger,
      });
      attachPlayerNamespace(players, {
        store,
        waitingRoom,
        catalog,
        tickets,
        logger,
        ledger,
        edgeLoss,
        locationHeaders: config.playerLocationHeaders,
      });
      attachLedgerHandlers(players, io.of(EDGE_NAMESPACE), { ledger, edgeOf: (id) => titles.edgeOf(id), logger });
      let origins: string[] = config.publicOrigins ?? [];
      attachEdgeNamespace(io.of(EDGE_NAMESPACE), {
        store,
        titles,
        joinToken: config.edgeJoinToken,
        join: { chainId: config.chainId, origins: () => origins, recoverSigner: (proof) => verifier.recover(proof) },
        sessions: {
          started: (sessionId, titleId, region, studioId) => {
            waitingRoom.sessionStarted(sessionId, titleId, region);
            void plays.started(sessionId, titleId, studioId);
          },
          ended: (sessionId) => {
            waitingRoom.sessionEnded(sessionId);
            void plays.ended(sessionId);
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
        // Edges whose leases lapsed while no broker ran get one lease to find this one.
        startGraceMs: config.edgeLeaseMs,
        logger,
        onTick: async () => {
          await waitingRoom.drain();
          await waitingRoom.pushPositions();
        },
        onExpired: (expired) => edgeLoss.notify(expired),
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
      await payouts?.close();
      await store?.close();
      await ledger?.close();
      await tickets?.close();
      await joinVerifier?.close();
      await studioStore?.close();
      await Promise.all(adapterClients.map((client) => client.quit()));
      logger.info('broker stopped');
    },

    ledger: () => ledger,
  };
}
