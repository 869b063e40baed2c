import type { Socket } from 'socket.io-client';
import { playerRejoinMessage, type SessionPlacement } from '@edgeplay/shared';
import type { PlayerKey } from './player-key.js';
import { request } from './signaling.js';

/**
 * Keeps the page known to the brokers as its session's player. A broker learns that at
 * placement, from the connection that asked; when the broker connection comes back (the broker
 * restarted, or another one answers at the same address), the new connection proves it holds
 * the player key the ticket was issued to. The page then hears `session:ended` and may ask
 * `session:check` at once, so a node lost after a broker restart is known in a second, not at
 * the end of the reconnect window. Returns what stops it.
 */
export function rejoinOnReconnect(broker: Socket, playerKey: PlayerKey, placement: SessionPlacement): () => void {
  const { ticket } = placement;
  const onConnect = (): void => {
    const socketId = broker.id;
    if (socketId === undefined) return;
    void playerKey
      .sign(playerRejoinMessage(socketId, ticket))
      .then((signature) => request(broker, 'session:rejoin', { ticket, signature }))
      .catch((error: unknown) => console.warn('could not rejoin the session on the broker', error));
  };
  broker.on('connect', onConnect);
  return () => broker.off('connect', onConnect);
}
