import { performance } from 'node:perf_hooks';
import type { KeyObject } from 'node:crypto';
import { Wallet } from 'ethers';
import { io, type Socket } from 'socket.io-client';
import {
  EDGE_NAMESPACE,
  isEdgePlayError,
  MAX_RECEIPT_BATCH,
  ReceiptMeter,
  type EdgeRegister,
  type SignedReceipt,
} from '@edgeplay/shared';
import {
  createSessionKey,
  importPublicKey,
  signJoinProof,
  signReceipt,
  verifyTicket,
  type SessionKey,
} from '@edgeplay/shared/node';
import { AckRecorder, CLIENT_OPTIONS, failGenerator, outcomeOf, tellBench } from './socket-load-acks.js';
import { forEachLimited } from './placement-load.js';
import {
  EDGE_RECEIPT_BATCH_MS,
  edgeSpecs,
  type EdgeSpec,
  type SessionJoin,
  type ToGenerator,
} from './socket-load-world.js';

/*
 * Load generator: the edge nodes of the socket load bench, in a process of their own
 * (forked by socket-load-bench.ts). Each is one socket on its broker's /edge namespace
 * that does what edge-node/src/broker/broker-link.ts does: asks for a challenge, answers
 * it with an EIP-712 proof from its operator wallet authorising a fresh Ed25519 session
 * key, registers with its titles and capabilities, reads the broker's clock, heartbeats
 * every leaseMs / 3 with fresh GPU readings, reports sessions started and ended, and
 * sends its signed usage receipts. It checks every ticket it is handed (signature, edge,
 * expiry) with its broker's key, as the real edge does before starting a game.
 */

/** Registrations in flight at once while the edges join (all edges reconnecting to a restarted broker). */
const JOIN_CONCURRENCY = Number(process.env.BENCH_SOCKET_JOIN_CONCURRENCY ?? 100);
const SESSION_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** The edge starts sending the picture a little before the page shows it, and stops a little after. */
const EDGE_LEAD_MS = 30;

const acks = new AckRecorder('edges');

interface RunningSession {
  join: SessionJoin;
  meter: ReceiptMeter;
  timer: NodeJS.Timeout | undefined;
}

class SimulatedEdge {
  private socket: Socket | undefined;
  private key: SessionKey | undefined;
  private brokerKey: KeyObject | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating = false;
  private readonly sessions = new Map<string, RunningSession>();
  private readonly pending: SignedReceipt[] = [];
  private flushing = false;
  private readonly retryTimer: NodeJS.Timeout;
  private readonly wallet: Wallet;

  constructor(
    readonly spec: EdgeSpec,
    private readonly brokerUrl: string,
  ) {
    this.wallet = new Wallet(spec.privateKey);
    this.retryTimer = setInterval(() => {
      if (this.pending.length) void this.flush();
    }, EDGE_RECEIPT_BATCH_MS);
  }

  async connect(): Promise<void> {
    const socket = io(new URL(EDGE_NAMESPACE, this.brokerUrl).toString(), CLIENT_OPTIONS);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') acks.count('edge sockets dropped');
    });
  }

  /** The join of broker-link.ts; returns the register acknowledgement's latency. */
  async register(): Promise<number> {
    const socket = this.socket as Socket;
    const challenge = (await acks.ask(socket, 'edge:challenge', {})) as {
      ok: boolean;
      challenge: string;
      chainId: number;
    };
    if (!challenge.ok) throw new Error(`edge:challenge answered ${outcomeOf(challenge)}`);
    const key = createSessionKey(SESSION_KEY_LIFETIME_MS);
    const proof = await signJoinProof(this.wallet, {
      edgeId: this.spec.edgeId,
      challenge: challenge.challenge,
      sessionKey: key.publicKeyRaw,
      sessionKeyExpiresAt: key.expiresAt,
      brokerOrigin: new URL(this.brokerUrl).origin,
      chainId: challenge.chainId,
    });
    const start = performance.now();
    const answer = (await acks.ask(socket, 'edge:register', { ...this.registration(), proof })) as {
      ok: boolean;
      leaseMs: number;
      brokerPublicKey: string;
    };
    const latency = performance.now() - start;
    if (!answer.ok) throw new Error(`edge:register answered ${outcomeOf(answer)}`);
    this.key = key;
    this.brokerKey = importPublicKey(answer.brokerPublicKey);
    // After every registration the edge reads the broker's clock (edge-receipts.ts).
    await acks.ask(socket, 'receipt:clock', {});
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(250, answer.leaseMs / 3));
    return latency;
  }

  private registration(): Omit<EdgeRegister, 'proof'> {
    const { spec } = this;
    return {
      edgeId: spec.edgeId,
      signalingUrl: `http://${spec.edgeId}.edges.bench:8443/`,
      titles: spec.titles,
      maxSessions: spec.maxSessions,
      region: spec.region,
      location: spec.location,
      gpuClass: spec.gpuClass,
      capabilities: spec.gpu
        ? {
            gpus: [spec.gpu],
            encoders: ['libx264', 'h264_nvenc'],
            renderPath: 'xorg-nvidia',
            encodePath: 'h264_nvenc',
          }
        : {
            gpus: [],
            cpuOnlyReason: 'nvidia-smi not found',
            encoders: ['libx264'],
            renderPath: 'xvfb',
            encodePath: 'libx264',
          },
    };
  }

  private heartbeat(): void {
    if (this.beating || !this.socket) return;
    this.beating = true;
    const active = this.sessions.size;
    const gpus = this.spec.gpu
      ? [
          {
            ...this.spec.gpu,
            utilizationPercent: Math.min(100, active * 30),
            temperatureC: 40 + active * 8,
            encoder: { supported: true, sessions: active, utilizationPercent: Math.min(100, active * 15) },
          },
        ]
      : undefined;
    void acks
      .ask(this.socket, 'edge:heartbeat', { activeSessions: active, ...(gpus ? { gpus } : {}) })
      .then(async (answer) => {
        if (outcomeOf(answer) === 'UNAUTHORIZED') {
          // The lease lapsed: join again, as broker-link.ts does.
          acks.count('heartbeats refused (lease lapsed)');
          await this.register();
        }
      })
      .catch((error: unknown) => acks.count(`re-registration failed: ${String(error).slice(0, 60)}`))
      .finally(() => {
        this.beating = false;
      });
  }

  /** A player opened its session here (session:join): start the game, then report it. */
  openSession(join: SessionJoin): void {
    try {
      verifyTicket(join.ticket, this.brokerKey as KeyObject, { edgeId: this.spec.edgeId, now: Date.now() });
    } catch (error) {
      acks.count(`tickets refused: ${isEdgePlayError(error) ? error.code : String(error).slice(0, 60)}`);
      return;
    }
    const meter = new ReceiptMeter({
      side: 'edge',
      sessionId: join.sessionId,
      edgeId: this.spec.edgeId,
      anchorAt: join.iat,
    });
    const session: RunningSession = { join, meter, timer: undefined };
    this.sessions.set(join.sessionId, session);
    const startedAt = join.playFrom - EDGE_LEAD_MS;
    session.timer = setTimeout(() => {
      void this.report(join, 'started');
      meter.begin(this.sample(join, Date.now()));
      this.scheduleReceipt(session);
    }, startedAt - Date.now());
  }

  private sample(join: SessionJoin, at: number): { at: number; frames: number; bytes: number; rttMs: number } {
    const seconds = Math.max(0, at - (join.playFrom - EDGE_LEAD_MS)) / 1000;
    return { at, frames: seconds * join.fps, bytes: seconds * 750_000, rttMs: 21 };
  }

  private scheduleReceipt(session: RunningSession): void {
    const due = session.meter.nextDueAt() ?? Infinity;
    const end = session.join.endsAt + EDGE_LEAD_MS;
    session.timer = setTimeout(
      () => {
        const now = Date.now();
        if (now >= end) {
          this.record(session.meter.take(this.sample(session.join, now), true));
          this.sessions.delete(session.join.sessionId);
          void this.report(session.join, 'ended');
          return;
        }
        this.record(session.meter.take(this.sample(session.join, now)));
        this.scheduleReceipt(session);
      },
      Math.max(0, Math.min(due, end) - Date.now()),
    );
  }

  private async report(join: SessionJoin, state: 'started' | 'ended'): Promise<void> {
    if (!this.socket) return;
    const payload = { sessionId: join.sessionId, state, ...(state === 'started' ? { titleId: join.titleId } : {}) };
    const outcome = outcomeOf(await acks.ask(this.socket, 'edge:session', payload));
    acks.count(`sessions ${state}${outcome === 'ok' ? '' : ` (${outcome})`}`);
  }

  private record(receipt: ReturnType<ReceiptMeter['take']>): void {
    if (!receipt || !this.key) return;
    this.pending.push(signReceipt(this.key, receipt));
    void this.flush();
  }

  /** Sends what waits, oldest first, in batches (receipt-sender.ts); a batch that fails stays for the next try. */
  private async flush(): Promise<void> {
    if (this.flushing || !this.socket) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.slice(0, MAX_RECEIPT_BATCH);
        const answer = (await acks.ask(this.socket, 'edge:receipts', { receipts: batch })) as {
          ok: boolean;
          results?: { status: string; code?: string }[];
        };
        if (!answer.ok || !answer.results) return;
        this.pending.splice(0, batch.length);
        for (const result of answer.results) {
          acks.count(`edge receipts ${result.status}${result.code ? ` (${result.code})` : ''}`);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  close(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.retryTimer);
    for (const session of this.sessions.values()) clearTimeout(session.timer);
    this.socket?.disconnect();
  }
}

const edges = new Map<string, SimulatedEdge>();

async function start(brokers: string[]): Promise<void> {
  const specs = edgeSpecs(brokers.length);
  const started = performance.now();
  const registerLatencies: number[] = [];
  let failures = 0;
  await forEachLimited(specs, JOIN_CONCURRENCY, async (spec) => {
    const edge = new SimulatedEdge(spec, brokers[spec.broker] as string);
    edges.set(spec.edgeId, edge);
    try {
      await edge.connect();
      registerLatencies.push(await edge.register());
    } catch (error) {
      failures += 1;
      if (failures === 1) console.error(`[socket-load edges] ${spec.edgeId} could not join:`, error);
    }
  });
  tellBench({ type: 'ready', joinMs: performance.now() - started, registerLatencies, failures });
}

process.on('message', (message: ToGenerator) => {
  switch (message.type) {
    case 'start':
      start(message.brokers).catch(failGenerator);
      break;
    case 'session': {
      const edge = edges.get(message.join.edgeId);
      if (edge) edge.openSession(message.join);
      else acks.count('sessions for an unknown edge');
      break;
    }
    case 'measure':
      acks.startMeasuring();
      break;
    case 'report':
      void acks.report().then((report) => tellBench({ type: 'report', report }));
      break;
    case 'stop':
      for (const edge of edges.values()) edge.close();
      // Pending timers (think times, sessions) would keep the process alive: the sockets are closed, go.
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
