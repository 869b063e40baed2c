import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import { EDGE_NAMESPACE, ErrorAnswerSchema, type EdgeRegister, type EdgeToBrokerEvents } from '@edgeplay/shared';
import { importPublicKey } from '@edgeplay/shared/node';
import { z } from 'zod';

const REQUEST_TIMEOUT_MS = 5000;
const REGISTER_RETRY_MS = 2000;

const RegisterAnswerSchema = z.union([
  z.object({ ok: z.literal(true), brokerPublicKey: z.string().min(1).max(1024) }),
  ErrorAnswerSchema,
]);

export interface BrokerLinkOptions {
  brokerUrl: string;
  joinToken: string;
  registration: () => EdgeRegister;
  logger: Logger;
}

interface BrokerLinkEvents {
  registered: [brokerPublicKey: KeyObject];
}

/**
 * The edge's connection to the broker's /edge namespace. It registers on every
 * (re)connect and keeps the broker's ticket-signing key; socket.io-client reconnects
 * by itself when the broker restarts.
 */
export class BrokerLink extends EventEmitter<BrokerLinkEvents> {
  private readonly socket: Socket<Record<string, never>, EdgeToBrokerEvents>;
  private publicKey: KeyObject | undefined;
  private readonly log: Logger;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BrokerLinkOptions) {
    super();
    this.log = options.logger.child({ link: 'broker' });
    this.socket = io(new URL(EDGE_NAMESPACE, options.brokerUrl).toString(), {
      auth: { token: options.joinToken },
      transports: ['websocket'],
      autoConnect: false,
      reconnectionDelayMax: 2000,
    });
    this.socket.on('connect', () => void this.register());
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

  /** Tells the broker how many sessions run here, so it routes around a full node. */
  reportLoad(activeSessions: number): void {
    if (!this.socket.connected) return;
    this.socket
      .timeout(REQUEST_TIMEOUT_MS)
      .emitWithAck('edge:load', { activeSessions })
      .then((answer) => {
        if (!answer.ok) this.log.warn({ answer }, 'broker refused a load report');
      })
      .catch((error: unknown) => this.log.warn({ error: String(error) }, 'load report not acknowledged'));
  }

  private async register(): Promise<void> {
    try {
      const raw: unknown = await this.socket
        .timeout(REQUEST_TIMEOUT_MS)
        .emitWithAck('edge:register', this.options.registration());
      const answer = RegisterAnswerSchema.parse(raw);
      if (!answer.ok) {
        this.log.error({ code: answer.code, message: answer.message }, 'broker refused registration');
        return;
      }
      this.publicKey = importPublicKey(answer.brokerPublicKey);
      this.log.info('registered with broker');
      this.emit('registered', this.publicKey);
    } catch (error) {
      this.log.error({ error: String(error) }, 'registration failed; retrying');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (this.socket.connected) void this.register();
      }, REGISTER_RETRY_MS);
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }
}
