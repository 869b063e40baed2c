import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import {
  EDGE_NAMESPACE,
  ErrorAnswerSchema,
  STUDIO_TITLES_CHANGED,
  type BrokerToEdgeStudioEvents,
  JoinChallengeSchema,
  type EdgeRegister,
  type GpuInfo,
  type EdgeToBrokerEvents,
} from '@edgeplay/shared';
import {
  createSessionKey,
  importPublicKey,
  signJoinProof,
  type JoinSigner,
  type SessionKey,
} from '@edgeplay/shared/node';
import { z } from 'zod';

const REQUEST_TIMEOUT_MS = 5000;
const REGISTER_RETRY_MS = 2000;
/** A refusal is less likely to pass at once than a timeout. */
const REFUSED_RETRY_MS = 30_000;
const REJOIN_BEFORE_EXPIRY_MS = 60 * 60 * 1000;
/** Session reports kept for resending at most (the oldest give way). */
const MAX_UNREPORTED = 1000;
/** The session key authorised at join; the node re-joins (new key) well before it expires. */
const SESSION_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

const isOk = (answer: unknown): boolean =>
  typeof answer === 'object' && answer !== null && (answer as { ok?: unknown }).ok === true;

const RegisterAnswerSchema = z.union([
  z.object({ ok: z.literal(true), brokerPublicKey: z.string().min(1).max(1024), leaseMs: z.int().min(1000) }),
  ErrorAnswerSchema,
]);

export interface BrokerLinkOptions {
  brokerUrl: string;
  joinToken: string | undefined;
  /** The operator wallet that signs the join proof. */
  wallet: JoinSigner;
  registration: () => Omit<EdgeRegister, 'proof'>;
  /** Sessions running now, sent with every heartbeat. */
  activeSessions: () => number;
  /** Fresh GPU readings for the heartbeat; absent on a CPU-only node. */
  gpuTelemetry?: () => Promise<GpuInfo[] | undefined>;
  logger: Logger;
}

interface BrokerLinkEvents {
  registered: [brokerPublicKey: KeyObject];
  /** A studio changed its titles: fetch them again. */
  'studio-titles-changed': [];
}

/**
 * The edge's connection to the broker's /edge namespace. It registers on every
 * (re)connect and keeps the broker's ticket-signing key; socket.io-client reconnects
 * by itself when the broker restarts.
 */
export class BrokerLink extends EventEmitter<BrokerLinkEvents> {
  private readonly socket: Socket<BrokerToEdgeStudioEvents, EdgeToBrokerEvents>;
  private publicKey: KeyObject | undefined;
  private readonly log: Logger;
  private retryTimer: NodeJS.Timeout | undefined;
  private sessionKey: SessionKey | undefined;
  /** The key of the last registration the broker accepted: what usage receipts are signed with. */
  private acceptedKey: SessionKey | undefined;
  private beating = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /**
   * Session reports the broker has not acknowledged, by session (the latest state wins),
   * sent again after every registration: an end reported while no broker ran would
   * otherwise leave its slot taken in the Store for as long as this node lives.
   */
  private readonly unreported = new Map<string, { state: 'started' | 'ended'; titleId?: string }>();

  constructor(private readonly options: BrokerLinkOptions) {
    super();
    this.log = options.logger.child({ link: 'broker' });
    this.socket = io(new URL(EDGE_NAMESPACE, options.brokerUrl).toString(), {
      auth: options.joinToken === undefined ? {} : { token: options.joinToken },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelayMax: 2000,
    });
    this.socket.on('connect', () => void this.register());
    this.socket.on(STUDIO_TITLES_CHANGED, () => this.emit('studio-titles-changed'));
    this.socket.on('disconnect', (reason) => this.log.warn({ reason }, 'disconnected from broker'));
    this.socket.on('connect_error', (error) => this.log.warn({ error: error.message }, 'cannot reach broker'));
  }

  /** The broker's ticket key, once registered. */
  get brokerPublicKey(): KeyObject | undefined {
    return this.publicKey;
  }

  connect(): void {
    this.socket.connect();
  }

  /** The session key the broker accepted at the last registration; undefined before the first. */
  get signingKey(): SessionKey | undefined {
    return this.acceptedKey;
  }

  /** One acknowledged request on the broker socket (usage receipts); rejects when not connected or unanswered. */
  async request(event: 'edge:receipts' | 'receipt:clock', payload: unknown): Promise<unknown> {
    if (!this.socket.connected) throw new Error('not connected to the broker');
    return this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(event, payload);
  }

  /** Registers again with what `registration()` says now (e.g. the titles this node offers changed). */
  refreshRegistration(): void {
    if (this.socket.connected && this.publicKey) void this.register();
  }

  /**
   * Tells the broker a session started (its slot stays taken) or ended (the slot is freed).
   * Until the broker acknowledges it, the report is kept and sent again after the next
   * registration (both are idempotent at the broker).
   */
  reportSession(sessionId: string, state: 'started' | 'ended', titleId?: string): void {
    if (this.unreported.size >= MAX_UNREPORTED && !this.unreported.has(sessionId)) {
      const oldest = this.unreported.keys().next().value;
      if (oldest !== undefined) this.unreported.delete(oldest);
    }
    this.unreported.delete(sessionId); // re-inserted last: the map stays in report order
    this.unreported.set(sessionId, { state, ...(titleId ? { titleId } : {}) });
    // Not yet registered (or between connections): the registration sends it.
    if (this.socket.connected && this.acceptedKey) this.sendReport(sessionId);
  }

  private sendReport(sessionId: string): void {
    const report = this.unreported.get(sessionId);
    if (!report) return;
    const { state, titleId } = report;
    this.socket
      .timeout(REQUEST_TIMEOUT_MS)
      .emitWithAck('edge:session', { sessionId, state, ...(titleId ? { titleId } : {}) })
      .then((answer: unknown) => {
        if (isOk(answer)) {
          // Unless a newer state was reported meanwhile.
          if (this.unreported.get(sessionId) === report) this.unreported.delete(sessionId);
          return;
        }
        const code = (answer as { code?: unknown } | undefined)?.code;
        // UNAUTHORIZED: the broker wants a registration first; it resends. Anything else is final.
        if (code !== 'UNAUTHORIZED' && this.unreported.get(sessionId) === report) this.unreported.delete(sessionId);
        this.log.warn({ answer, sessionId, state }, 'broker refused a session report');
      })
      .catch((error: unknown) =>
        this.log.warn({ error: String(error), sessionId, state }, 'session report not acknowledged; kept to resend'),
      );
  }

  private heartbeat(): void {
    if (!this.socket.connected || !this.publicKey || this.beating) return;
    this.beating = true;
    void this.sendHeartbeat().finally(() => {
      this.beating = false;
    });
  }

  private async sendHeartbeat(): Promise<void> {
    try {
      const gpus = await this.options.gpuTelemetry?.();
      const answer: unknown = await this.socket
        .timeout(REQUEST_TIMEOUT_MS)
        .emitWithAck('edge:heartbeat', { activeSessions: this.options.activeSessions(), ...(gpus ? { gpus } : {}) });
      if (isOk(answer)) return;
      // The lease lapsed (e.g. the broker was unreachable for a while): join again.
      this.log.warn({ answer }, 'heartbeat refused; registering again');
      void this.register();
    } catch (error) {
      this.log.warn({ error: String(error) }, 'heartbeat not acknowledged');
    }
  }

  /** Answers the broker's challenge with the operator wallet, authorising a fresh session key. */
  private async signedRegistration(): Promise<EdgeRegister> {
    const challenge = JoinChallengeSchema.extend({ ok: z.literal(true) }).parse(
      await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck('edge:challenge', {}),
    );
    const registration = this.options.registration();
    // Fresh per join: a broker that restarted or a lapsed lease gets a new key, never an old one.
    this.sessionKey = createSessionKey(SESSION_KEY_LIFETIME_MS);
    const proof = await signJoinProof(this.options.wallet, {
      edgeId: registration.edgeId,
      challenge: challenge.challenge,
      sessionKey: this.sessionKey.publicKeyRaw,
      sessionKeyExpiresAt: this.sessionKey.expiresAt,
      // Our own idea of the broker's origin, never one the broker tells us: a proof made
      // for this broker cannot be replayed to another.
      brokerOrigin: new URL(this.options.brokerUrl).origin,
      chainId: challenge.chainId,
    });
    return { ...registration, proof };
  }

  private async register(): Promise<void> {
    try {
      const registration = await this.signedRegistration();
      // Taken now: a registration racing this one may make another key meanwhile.
      const key = this.sessionKey;
      const raw: unknown = await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck('edge:register', registration);
      const answer = RegisterAnswerSchema.parse(raw);
      if (!answer.ok) {
        // e.g. the broker's clock or origin list disagrees, or it is mid-restart: try again later.
        this.log.error({ code: answer.code, message: answer.message }, 'broker refused registration; retrying');
        this.retryRegistration(REFUSED_RETRY_MS);
        return;
      }
      this.publicKey = importPublicKey(answer.brokerPublicKey);
      this.acceptedKey = key;
      // Three heartbeats per lease: one lost heartbeat never costs the lease.
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(250, answer.leaseMs / 3));
      // Join again, with a new session key, an hour before this one expires.
      this.retryRegistration(SESSION_KEY_LIFETIME_MS - REJOIN_BEFORE_EXPIRY_MS);
      this.log.info({ leaseMs: answer.leaseMs }, 'registered with broker');
      if (this.unreported.size) this.log.info({ reports: this.unreported.size }, 'resending session reports');
      for (const sessionId of [...this.unreported.keys()]) this.sendReport(sessionId);
      this.emit('registered', this.publicKey);
    } catch (error) {
      this.log.error({ error: String(error) }, 'registration failed; retrying');
      this.retryRegistration(REGISTER_RETRY_MS);
    }
  }

  private retryRegistration(afterMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.socket.connected) void this.register();
    }, afterMs);
  }

  close(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    this.socket.disconnect();
  }
}
