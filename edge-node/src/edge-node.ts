import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { Logger } from 'pino';
import {
  ErrorCode,
  makeError,
  playerJoinMessage,
  summarizeTitle,
  type EdgeRegister,
  type GpuInfo,
} from '@edgeplay/shared';
import {
  importSessionPublicKey,
  limitSocketEvents,
  RateLimiter,
  verifySessionSignature,
  verifyTicket,
} from '@edgeplay/shared/node';
import type { EdgeConfig } from './config.js';
import { BrokerLink } from './broker/broker-link.js';
import { loadOperatorWallet } from './identity/operator-wallet.js';
import { createEdgeMetrics } from './telemetry/edge-metrics.js';
import { probeGpus } from './telemetry/gpu-probe.js';
import { capabilitiesOf, probeMachine, type MachineProbe } from './telemetry/machine-probe.js';
import { EdgeReceipts } from './receipts/edge-receipts.js';
import { MediaWorker } from './sfu/media-worker.js';
import { describeGamepadSupport, probeUinput } from './input/uinput-probe.js';
import { PlaySession } from './session/play-session.js';
import { UsedTickets } from './session/used-tickets.js';
import { SessionGrace } from './session/session-grace.js';
import { attachPlayerHandlers, type Displace, type PlayerSocket } from './signaling/player-handlers.js';
import { serveSpectators } from './signaling/spectator-handlers.js';
import { attachWatchLinkHandler, type WatchLinkSocket } from './signaling/watch-link-handler.js';
import { SpectatorHub } from './spectate/spectator-hub.js';
import { StudioTitleSync } from './titles/studio-title-sync.js';
import { loadTitles, type InstalledTitle } from './titles/title-catalog.js';
import type { StartProgress } from './progress/start-progress.js';
import { describePaths } from './runtime/media-paths.js';

const PING_INTERVAL_MS = 2000;
const PING_TIMEOUT_MS = 3000;

export interface EdgeNodeDeps {
  config: EdgeConfig;
  logger: Logger;
  /** Told as each start-up step begins and ends (the CLI shows it at a terminal). */
  progress?: StartProgress;
}

export interface EdgeNode {
  start(): Promise<{ signalingUrl: string }>;
  stop(): Promise<void>;
  /** Sessions running now (for health checks and tests). */
  sessions(): ReadonlyMap<string, PlaySession>;
  /** Pid of the mediasoup worker, once started. */
  workerPid(): number | undefined;
  /** The sessions' spectators, once started (for tests and the spectator benchmark). */
  spectators(): SpectatorHub | undefined;
}

/**
 * The operator's daemon: one mediasoup worker and router, the player signaling
 * endpoint, the link to the broker, and the sessions. Nothing listens until start().
 */
export function createEdgeNode({ config, logger, progress }: EdgeNodeDeps): EdgeNode {
  const log = logger.child({ edgeId: config.edgeId });
  const sessions = new Map<string, PlaySession>();
  const usedTickets = new UsedTickets();
  const grace = new SessionGrace(config.reconnectGraceMs, log);
  let titles = new Map<string, InstalledTitle>();
  let media: MediaWorker | undefined;
  let http: HttpServer | undefined;
  let io: Server | undefined;
  let broker: BrokerLink | undefined;
  let receipts: EdgeReceipts | undefined;
  let signalingUrl = '';
  let stopping = false;
  let machine: MachineProbe | undefined;
  let spectators: SpectatorHub | undefined;
  let studioTitles: StudioTitleSync | undefined;

  const registration = (): Omit<EdgeRegister, 'proof'> => ({
    edgeId: config.edgeId,
    signalingUrl,
    titles: [...titles.values()].map((title) => ({
      ...summarizeTitle(title.manifest),
      ...(title.studio ? { studio: title.studio } : {}),
    })),
    maxSessions: config.maxSessions,
    region: config.region,
    location: { lat: config.latitude, lon: config.longitude },
    gpuClass: machine?.gpuClass ?? 'cpu',
    ...(machine ? { capabilities: capabilitiesOf(machine) } : {}),
  });

  async function openSession(
    ticket: string,
    signature: string,
    sessionLog: Logger,
    socketId: string,
    displace: Displace,
  ): Promise<PlaySession> {
    const brokerKey = broker?.brokerPublicKey;
    if (!brokerKey || !media || stopping) {
      throw makeError(ErrorCode.EDGE_UNAVAILABLE, 'this node is not registered with a broker yet');
    }
    const now = Date.now();
    const payload = verifyTicket(ticket, brokerKey, { edgeId: config.edgeId, now });
    // A ticket alone is not enough: the page must hold the player key it was issued to.
    const playerKey = importSessionPublicKey(payload.playerKey);
    const message = Buffer.from(playerJoinMessage(ticket));
    if (!verifySessionSignature(playerKey, message, Buffer.from(signature.slice(2), 'hex'))) {
      throw makeError(ErrorCode.TICKET_INVALID, 'the join was not signed by the player the ticket was issued to');
    }
    const title = titles.get(payload.titleId);
    if (!title) throw makeError(ErrorCode.TITLE_NOT_FOUND, `this node does not offer "${payload.titleId}"`);
    if (sessions.has(payload.sessionId)) throw makeError(ErrorCode.TICKET_REUSED, 'this session is already running');
    if (sessions.size >= config.maxSessions) throw makeError(ErrorCode.NO_CAPACITY, 'this node is full');
    if (!usedTickets.claim(payload.nonce, payload.exp, now)) {
      throw makeError(ErrorCode.TICKET_REUSED, 'this ticket was already used');
    }
    const session = new PlaySession({
      sessionId: payload.sessionId,
      manifest: title.manifest,
      titleDir: title.dir,
      router: media.router,
      logger: sessionLog,
      rtcListenIp: config.rtcListenIp,
      rtcAnnouncedAddress: config.rtcAnnouncedAddress,
      media: machine?.paths,
      adaptiveVideo: config.adaptiveVideo,
    });
    sessions.set(session.id, session);
    grace.register(session, { ticket, playerKey: payload.playerKey }, socketId, displace);
    session.once('ended', () => {
      receipts?.sessionEnded(session.id);
      sessions.delete(session.id);
      broker?.reportSession(session.id, 'ended');
    });
    await session.start();
    // Slots are counted from the ticket's iat, on the broker's clock, by the page and by us.
    receipts?.sessionStarted(session.id, payload.iat);
    broker?.reportSession(session.id, 'started', session.titleId);
    return session;
  }

  return {
    async start() {
      progress?.({ step: 'wallet', state: 'begin' });
      const wallet = await loadOperatorWallet(config);
      log.info({ operator: wallet.address }, 'operator wallet loaded');
      progress?.({ step: 'wallet', state: 'done', detail: wallet.address });
      progress?.({ step: 'titles', state: 'begin' });
      const ownTitles = await loadTitles(config.titlesDir, config.titles);
      titles = ownTitles;
      progress?.({ step: 'titles', state: 'done', detail: [...titles.keys()].join(', ') || 'none' });
      progress?.({ step: 'machine', state: 'begin' });
      machine = await probeMachine(log, config.gpuClass);
      progress?.({ step: 'machine', state: 'done', detail: `${machine.gpuClass}; ${describePaths(machine.paths)}` });
      log.info({ titles: [...titles.keys()] }, 'titles loaded');
      // Studio titles from the broker, each checked on this machine; the node's own manifests win.
      studioTitles = new StudioTitleSync({
        brokerUrl: config.brokerUrl,
        policy: {
          mode: config.studioTitles,
          commandDirs: config.studioCommandDirs,
          commands: config.studioCommands,
        },
        gpuClass: machine.gpuClass,
        localIds: new Set(ownTitles.keys()),
        refreshMs: config.studioTitlesRefreshMs,
        logger: log,
        onChange: (offered) => {
          titles = new Map([...offered, ...ownTitles]);
          broker?.refreshRegistration();
        },
      });
      await studioTitles.start();
      const uinput = await probeUinput();
      log.info({ uinput }, describeGamepadSupport(uinput));
      progress?.({ step: 'sfu', state: 'begin' });
      media = await MediaWorker.start({ logger: log, rtcMinPort: config.rtcMinPort, rtcMaxPort: config.rtcMaxPort });
      progress?.({ step: 'sfu', state: 'done', detail: `mediasoup worker pid ${media.pid}` });
      media.on('died', () => {
        for (const session of sessions.values())
          void session.close('EDGE_FAILED', 'the media server of this node failed');
      });
      const announced = config.rtcAnnouncedAddress;
      const listenInfo = {
        ip: config.rtcListenIp,
        ...(announced === undefined ? {} : { announcedAddress: announced }),
      };
      spectators = new SpectatorHub({
        edgeId: config.edgeId,
        router: media.router,
        maxPerSession: config.spectatorsPerSession,
        linkTtlMs: config.watchLinkTtlMs,
        listenInfos: [
          { protocol: 'udp', ...listenInfo },
          { protocol: 'tcp', ...listenInfo },
        ],
        findSession: (id) => sessions.get(id),
        logger: log,
      });

      const gpuTelemetry = async (): Promise<GpuInfo[] | undefined> => {
        if (machine?.gpu.kind !== 'nvidia') return undefined;
        // A short timeout: a slow nvidia-smi costs one reading, never the heartbeat or a scrape.
        const now = await probeGpus({ logger: log, timeoutMs: 1000 });
        return now.kind === 'nvidia' ? now.gpus : undefined;
      };
      const metrics = createEdgeMetrics({
        maxSessions: config.maxSessions,
        sessions: () => sessions.size,
        gpus: gpuTelemetry,
        streams: async () => {
          const running = await Promise.all(
            [...sessions.values()].map(async (session) => ({
              sessionId: session.id,
              stats: await session.videoStats(),
            })),
          );
          return running.flatMap(({ sessionId, stats }) => (stats ? [{ sessionId, ...stats }] : []));
        },
      });

      http = createServer((req, res) => {
        if (req.url === '/metrics') {
          metrics.metrics().then(
            (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
            (error: unknown) => {
              log.warn({ error: String(error) }, 'metrics scrape failed');
              res.writeHead(500).end();
            },
          );
          return;
        }
        if (req.url === '/probe') {
          // Players' pages time a few of these to pick the node with the lowest round trip.
          res.writeHead(204, {
            'access-control-allow-origin': '*',
            'timing-allow-origin': '*',
            'cache-control': 'no-store',
          });
          res.end();
          return;
        }
        if (req.url === '/healthz') {
          const healthy = media !== undefined && !media.worker.died && broker?.brokerPublicKey !== undefined;
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              ok: healthy,
              sessions: sessions.size,
              maxSessions: config.maxSessions,
              gpuClass: machine?.gpuClass,
              gpu: machine?.gpu,
              encoders: machine?.encoders,
              renderPath: machine?.paths.render.renderPath,
              encodePath: machine?.paths.encode.encodePath,
              sessionPaths: [...sessions.values()].map((session) => ({ sessionId: session.id, ...session.paths })),
            }),
          );
          return;
        }
        res.writeHead(404).end();
      });
      io = new Server(http, {
        transports: ['websocket'],
        maxHttpBufferSize: 64 * 1024,
        serveClient: false,
        // A dead player connection is noticed within 5 s (socket.io's default is 45 s), so the
        // reconnect grace starts soon after a drop, and both sides see it in time to resume.
        pingInterval: PING_INTERVAL_MS,
        pingTimeout: PING_TIMEOUT_MS,
      });
      const limits = {
        perSocket: new RateLimiter({
          perSecond: config.playerEventsPerSecond,
          burst: 2 * config.playerEventsPerSecond,
        }),
        perAddress: new RateLimiter({
          perSecond: config.addressEventsPerSecond,
          burst: 2 * config.addressEventsPerSecond,
        }),
        onLimited: (limited: { id: string; handshake: { address: string } }, event: string) =>
          log.warn({ socketId: limited.id, address: limited.handshake.address, event }, 'player rate-limited'),
      };
      const hub = spectators;
      io.on('connection', (socket: PlayerSocket & WatchLinkSocket) => {
        limitSocketEvents(socket, limits);
        let owned: PlaySession | undefined;
        attachPlayerHandlers(
          socket,
          {
            openSession: async (...args: Parameters<typeof openSession>) => (owned = await openSession(...args)),
            resumeSession: (request, challenge, socketId, displace) =>
              (owned = grace.resume(request, challenge, socketId, displace)),
            playerGone: (sessionId, socketId) => grace.detach(sessionId, socketId),
          },
          log,
        );
        attachWatchLinkHandler(socket, () => owned, hub, log);
      });
      serveSpectators(
        io,
        hub,
        { eventsPerSecond: config.playerEventsPerSecond, addressEventsPerSecond: config.addressEventsPerSecond },
        log,
      );
      const server = http;
      progress?.({ step: 'signaling', state: 'begin' });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.signalingPort, config.signalingHost, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      signalingUrl = config.publicSignalingUrl ?? `http://${config.signalingHost}:${port}`;
      log.info({ signalingUrl, port }, 'signaling listening');
      progress?.({ step: 'signaling', state: 'done', detail: signalingUrl });

      broker = new BrokerLink({
        brokerUrl: config.brokerUrl,
        joinToken: config.joinToken,
        wallet,
        registration,
        activeSessions: () => sessions.size,
        gpuTelemetry,
        logger: log,
      });
      const link = broker;
      receipts = await EdgeReceipts.open({
        dir: config.receiptJournalDir,
        edgeId: config.edgeId,
        router: media.router,
        link,
        logger: log,
      });
      const edgeReceipts = receipts;
      link.on('registered', () => void edgeReceipts.linkRegistered());
      progress?.({ step: 'broker', state: 'begin' });
      broker.once('registered', () =>
        progress?.({ step: 'broker', state: 'done', detail: `joined as ${config.edgeId}` }),
      );
      // A broker that was down at our start, or restarted, may know studio titles we have not seen.
      broker.on('registered', () => void studioTitles?.refresh());
      broker.on('studio-titles-changed', () => studioTitles?.refreshSoon());
      broker.connect();
      return { signalingUrl };
    },

    async stop() {
      stopping = true;
      studioTitles?.close();
      broker?.close();
      await Promise.allSettled(
        [...sessions.values()].map((session) => session.close('EDGE_STOPPING', 'the node is shutting down')),
      );
      // After the sessions: their last receipts are journalled, to be sent on the next start.
      await receipts?.close();
      io?.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        if (!io) return resolve();
        io.close(() => resolve());
        // Keep-alive connections of page loads would hold close() open for minutes.
        http?.closeAllConnections();
      });
      spectators?.close();
      await media?.close();
      log.info('edge node stopped');
    },

    sessions: () => sessions,
    workerPid: () => media?.pid,
    spectators: () => spectators,
  };
}
