import { io, type Socket } from 'socket.io-client';

/**
 * A socket.io client on `url + namespace` (websocket only, no reconnection), resolved once
 * connected; a refused connection rejects with the server's error. `track` collects it
 * for closing after the test.
 */
export function connectSocket(
  url: string,
  namespace = '/',
  auth?: Record<string, unknown>,
  track?: Socket[],
): Promise<Socket> {
  const socket = io(`${url}${namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    ...(auth ? { auth } : {}),
  });
  track?.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(error));
  });
}
