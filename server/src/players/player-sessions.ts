import type { SessionEnded } from '@edgeplay/shared';

interface Notifier {
  id: string;
  emit(event: 'session:ended', info: SessionEnded & { sessionId: string }): void;
}

/**
 * Which player socket on this broker each placed session belongs to, so that a player
 * whose edge vanished hears it from the broker too. With several brokers, a session
 * reaped by another broker is not seen here until socket.io shares events over Redis.
 */
export class PlayerSessions {
  private readonly sockets = new Map<string, Notifier>();

  add(sessionId: string, socket: Notifier): void {
    this.sockets.set(sessionId, socket);
  }

  forgetSocket(socketId: string): void {
    for (const [sessionId, socket] of this.sockets) if (socket.id === socketId) this.sockets.delete(sessionId);
  }

  /** Tells each session's player why it ended; returns how many were told. */
  ended(sessionIds: readonly string[], info: SessionEnded): number {
    let told = 0;
    for (const sessionId of sessionIds) {
      const socket = this.sockets.get(sessionId);
      if (!socket) continue;
      this.sockets.delete(sessionId);
      socket.emit('session:ended', { sessionId, ...info });
      told += 1;
    }
    return told;
  }
}
