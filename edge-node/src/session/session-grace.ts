import type { Logger } from 'pino';
import { ErrorCode, makeError, playerResumeMessage } from '@edgeplay/shared';
import { importSessionPublicKey, verifySessionSignature } from '@edgeplay/shared/node';
import type { PlaySession } from './play-session.js';

/** Who may take a session back: the ticket it was opened with and the ticket's player key. */
export interface SessionOwner {
  ticket: string;
  /** The raw Ed25519 player key, 0x + hex, from the ticket. */
  playerKey: string;
}

interface Held {
  session: PlaySession;
  owner: SessionOwner;
  /** The connection that drives the session now; undefined while the player is away. */
  attachedTo: { socketId: string; displace: () => void } | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps a session whose player's connection dropped alive for `graceMs`: the game, the
 * encoder and the producers run on, and a new connection holding the same player key may
 * take it back. When the grace ends with nobody back, the session ends (`PLAYER_GONE`),
 * which frees its slot. One per edge-node instance.
 */
export class SessionGrace {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {}

  /** A session just opened on `socketId`. */
  register(session: PlaySession, owner: SessionOwner, socketId: string, displace: () => void): void {
    this.held.set(session.id, { session, owner, attachedTo: { socketId, displace }, timer: undefined });
    session.once('ended', () => {
      const held = this.held.get(session.id);
      if (held?.timer) clearTimeout(held.timer);
      this.held.delete(session.id);
    });
  }

  /** The connection `socketId` is gone: start the grace period unless another one took over. */
  detach(sessionId: string, socketId: string): void {
    const held = this.held.get(sessionId);
    if (!held || held.attachedTo?.socketId !== socketId || held.session.closed) return;
    held.attachedTo = undefined;
    held.session.dropPlayerTransports();
    this.log.info({ sessionId, graceMs: this.graceMs }, 'player connection lost; holding the session');
    held.timer = setTimeout(() => {
      held.timer = undefined;
      const seconds = Math.round(this.graceMs / 1000);
      void held.session.close('PLAYER_GONE', `the player did not come back within ${seconds} s`);
    }, this.graceMs);
  }

  /**
   * Checks a resume and hands the session to the connection that asked: the ticket must
   * be the one the session was opened with, and `signature` the ticket's player key over
   * this connection's one-time `challenge`.
   */
  resume(
    request: { sessionId: string; ticket: string; signature: string },
    challenge: string,
    socketId: string,
    displace: () => void,
  ): PlaySession {
    const held = this.held.get(request.sessionId);
    if (!held || held.session.closed) {
      throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this session has ended or never ran on this node');
    }
    if (held.owner.ticket !== request.ticket) {
      throw makeError(ErrorCode.UNAUTHORIZED, 'this is not the ticket the session was opened with');
    }
    const key = importSessionPublicKey(held.owner.playerKey);
    const message = Buffer.from(playerResumeMessage(challenge, request.ticket));
    if (!verifySessionSignature(key, message, Buffer.from(request.signature.slice(2), 'hex'))) {
      throw makeError(ErrorCode.UNAUTHORIZED, 'the resume was not signed by the player who opened the session');
    }
    return this.attach(request.sessionId, socketId, displace);
  }

  /**
   * Hands the session to a new connection whose resume was verified. A connection still
   * attached (the edge has not noticed that it died yet) is displaced: its transports are
   * closed and it no longer drives the session.
   */
  private attach(sessionId: string, socketId: string, displace: () => void): PlaySession {
    const held = this.held.get(sessionId);
    if (!held || held.session.closed) {
      throw makeError(ErrorCode.SESSION_NOT_FOUND, 'this session has ended or never ran on this node');
    }
    if (held.timer) clearTimeout(held.timer);
    held.timer = undefined;
    const previous = held.attachedTo;
    held.attachedTo = { socketId, displace };
    if (previous && previous.socketId !== socketId) {
      previous.displace();
      held.session.dropPlayerTransports();
    }
    this.log.info({ sessionId }, 'player resumed the session');
    return held.session;
  }
}
