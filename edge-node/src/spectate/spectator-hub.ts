import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { ErrorCode, makeError, type SessionEnded, type WatchLinkAnswer, type WatchViewers } from '@edgeplay/shared';
import { SessionProducers } from '../sfu/session-producers.js';
import { SessionAudience } from './session-audience.js';
import { WatchTokens } from './watch-tokens.js';

/** What the hub needs of a running session (PlaySession has it). */
export interface WatchableSession {
  readonly id: string;
  readonly titleId: string;
  readonly closed: boolean;
  readonly rtpCapabilities: mediasoup.types.RtpCapabilities;
  once(event: 'ended', listener: (info: SessionEnded) => void): unknown;
}

/** How spectators (and the player) hear about an audience; the signaling layer sends it. */
export interface SpectatorNotifier {
  viewers(sessionId: string, info: WatchViewers): void;
  ended(sessionId: string, info: SessionEnded): void;
}

export interface SpectatorHubOptions {
  edgeId: string;
  router: mediasoup.types.Router;
  /** SPECTATORS_PER_SESSION; 0 turns watching off. */
  maxPerSession: number;
  /** WATCH_LINK_TTL_MS: how long a link admits new spectators. */
  linkTtlMs: number;
  listenInfos: mediasoup.types.TransportListenInfo[];
  findSession(sessionId: string): WatchableSession | undefined;
  logger: Logger;
}

/** Viewer counts go out at most this often per session, however fast spectators come and go. */
const VIEWERS_INTERVAL_MS = 500;

/**
 * Spectators on this edge: mints watch links for players, admits whoever presents one
 * into the session's audience (up to the limit), and closes an audience when its session
 * ends. Spectators consume the session's own producers: one encode, many viewers.
 */
export class SpectatorHub {
  readonly producers: SessionProducers;
  private readonly tokens: WatchTokens;
  private readonly audiences = new Map<string, SessionAudience>();
  private readonly throttles = new Map<string, { timer: NodeJS.Timeout; sent: number }>();
  private notifier: SpectatorNotifier | undefined;
  private readonly log: Logger;

  constructor(private readonly options: SpectatorHubOptions) {
    this.producers = new SessionProducers(options.router);
    this.tokens = new WatchTokens({ edgeId: options.edgeId, ttlMs: options.linkTtlMs });
    this.log = options.logger;
  }

  setNotifier(notifier: SpectatorNotifier): void {
    this.notifier = notifier;
  }

  /** A fresh watch link token for the player of `session`. */
  mintLink(session: WatchableSession): WatchLinkAnswer {
    if (this.options.maxPerSession === 0) {
      throw makeError(ErrorCode.NO_CAPACITY, 'this node does not allow spectators');
    }
    const audience = this.audienceFor(session);
    const { token, expiresAt } = this.tokens.mint(session.id);
    this.log.info({ sessionId: session.id, expiresAt }, 'watch link minted');
    return { token, expiresAt, viewers: audience.viewers, maxViewers: audience.maxViewers };
  }

  /**
   * Admits a spectator with a watch token: TICKET_INVALID / TICKET_EXPIRED for a bad
   * token, SESSION_NOT_FOUND once its session ended, NO_CAPACITY when the audience is full.
   */
  join(token: unknown, spectatorId: string): { session: WatchableSession; audience: SessionAudience } {
    const { sessionId } = this.tokens.verify(token);
    const session = this.options.findSession(sessionId);
    const audience = this.audiences.get(sessionId);
    if (!session || session.closed || !audience) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this session has ended');
    audience.admit(spectatorId);
    this.log.info({ sessionId, spectator: spectatorId, viewers: audience.viewers }, 'spectator joined');
    this.viewersChanged(audience);
    return { session, audience };
  }

  leave(sessionId: string, spectatorId: string): void {
    const audience = this.audiences.get(sessionId);
    if (!audience?.leave(spectatorId)) return;
    this.log.info({ sessionId, spectator: spectatorId, viewers: audience.viewers }, 'spectator left');
    this.viewersChanged(audience);
  }

  audience(sessionId: string): SessionAudience | undefined {
    return this.audiences.get(sessionId);
  }

  /** Stops the timers; audiences end with their sessions. */
  close(): void {
    for (const { timer } of this.throttles.values()) clearTimeout(timer);
    this.throttles.clear();
  }

  private audienceFor(session: WatchableSession): SessionAudience {
    if (session.closed) throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this session has ended');
    const known = this.audiences.get(session.id);
    if (known) return known;
    const audience = new SessionAudience({
      sessionId: session.id,
      router: this.options.router,
      producers: () => this.producers.of(session.id),
      maxViewers: this.options.maxPerSession,
      listenInfos: this.options.listenInfos,
      logger: this.log.child({ sessionId: session.id }),
    });
    this.audiences.set(session.id, audience);
    session.once('ended', (info) => {
      audience.end(info);
      this.audiences.delete(session.id);
      const throttle = this.throttles.get(session.id);
      if (throttle) clearTimeout(throttle.timer);
      this.throttles.delete(session.id);
      this.notifier?.ended(session.id, info);
    });
    return audience;
  }

  /** Sends the count now, or once the interval since the last one has passed (then only if it changed). */
  private viewersChanged(audience: SessionAudience): void {
    if (this.throttles.has(audience.sessionId)) return;
    const send = (): void => {
      const info = { viewers: audience.viewers, maxViewers: audience.maxViewers };
      this.notifier?.viewers(audience.sessionId, info);
      const timer = setTimeout(() => {
        const last = this.throttles.get(audience.sessionId);
        this.throttles.delete(audience.sessionId);
        if (last && last.sent !== audience.viewers && !audience.ended) send();
      }, VIEWERS_INTERVAL_MS);
      timer.unref();
      this.throttles.set(audience.sessionId, { timer, sent: info.viewers });
    };
    send();
  }
}
