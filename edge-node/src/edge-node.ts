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
import { MediaWorker } from './sfu/media-worker.js';
import { describeGamepadSupport, probeUinput } from './input/uinput-probe.js';
import { PlaySession } from './session/play-session.js';
import { UsedTickets } from './session/used-tickets.js';
import { attachPlayerHandlers, type PlayerSocket } from './signaling/player-handlers.js';
import { loadTitles, type InstalledTitle } from './titles/title-catalog.js';

export interface EdgeNodeDeps {
  config: EdgeConfig;
  logger: Logger;
}

export interface EdgeNode {
  start(): Promise<{ signalingUrl: string }>;
  stop(): Promise<void>;
  /** Sessions running now (for health checks and tests). */
  sessions(): ReadonlyMap<string, PlaySession>;
  /** Pid of the mediasoup worker, once started. */
  workerPid(): number | undefined;
}

/**
 * The operator's daemon: one mediasoup worker and router, the player signaling
 * endpoint, the link to the broker, and the sessions. Nothing listens until start().
 */
export function createEdgeNode({ config, logger }: EdgeNodeDeps): EdgeNode {
  const log = logger.child({ edgeId: config.edgeId });
  const sessions = new Map<string, PlaySession>();
  const usedTickets = new UsedTickets();
  let titles = new Map<string, InstalledTitle>();
  let media: MediaWorker | undefined;
  let http: HttpServer | undefined;
  let io: Server | undefined;
  let broker: BrokerLink | undefined;
  let signalingUrl = '';
  let stopping = false;
  let machine: MachineProbe | undefined;

  const registration = (): Omit<EdgeRegister, 'proof'> => ({
    edgeId: config.edgeId,
    signalingUrl,
    titles: [...titles.values()].map((title) => summarizeTitle(title.manifest)),
    maxSessions: config.maxSessions,
    region: config.region,
    location: { lat: config.latitude, lon: config.longitude },
    gpuClass: machine?.gpuClass ?? 'cpu',
    ...(machine ? { capabilities: capabilitiesOf(machine) } : {}),
  });

  async function openSession(ticket: string, signature: string, sessionLog: Logger): Promise<PlaySession> {
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
      adaptiveVideo: config.adaptiveVideo,
    });
    sessions.set(session.id, session);
    session.once('ended', () => {
      sessions.delete(session.id);
      broker?.reportSession(session.id, 'ended');
    });
    await session.start();
    broker?.reportSession(session.id, 'started', session.titleId);
    return session;
  }

  return {
    async start() {
      const wallet = await loadOperatorWallet(config);
      log.info({ operator: wallet.address }, 'operator wallet loaded');
      titles = await loadTitles(config.titlesDir, config.titles);
      machine = await probeMachine(log, config.gpuClass);
      log.info({ titles: [...titles.keys()] }, 'titles loaded');
      const uinput = await probeUinput();
      log.info({ uinput }, describeGamepadSupport(uinput));
      media = await MediaWorker.start({ logger: log, rtcMinPort: config.rtcMinPort, rtcMaxPort: config.rtcMaxPort });
      media.on('died', () => {
        for (const session of sessions.values())
          void session.close('EDGE_FAILED', 'the media server of this node failed');
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
            }),
          );
          return;
        }
        res.writeHead(404).end();
      });
      io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024, serveClient: false });
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
      io.on('connection', (socket: PlayerSocket) => {
        limitSocketEvents(socket, limits);
        attachPlayerHandlers(socket, { openSession }, log);
      });
      const server = http;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.signalingPort, config.signalingHost, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      signalingUrl = config.publicSignalingUrl ?? `http://${config.signalingHost}:${port}`;
      log.info({ signalingUrl, port }, 'signaling listening');

      broker = new BrokerLink({
        brokerUrl: config.brokerUrl,
        joinToken: config.joinToken,
        wallet,
        registration,
        activeSessions: () => sessions.size,
        gpuTelemetry,
        logger: log,
      });
      broker.connect();
      return { signalingUrl };
    },

    async stop() {
      stopping = true;
      broker?.close();
      await Promise.allSettled(
        [...sessions.values()].map((session) => session.close('EDGE_STOPPING', 'the node is shutting down')),
      );
      io?.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        if (!io) return resolve();
        io.close(() => resolve());
        // Keep-alive connections of page loads would hold close() open for minutes.
        http?.closeAllConnections();
      });
      await media?.close();
      log.info('edge node stopped');
    },

    sessions: () => sessions,
    workerPid: () => media?.pid,
  };
}
