/**
 * The socket.io room of a placed session's player. Emitting to it reaches the player on
 * whichever broker they are connected to, through the Redis adapter when there are
 * several brokers.
 */
export function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}
