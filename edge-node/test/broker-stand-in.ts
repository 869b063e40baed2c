import { createServer } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { createChallenge, exportPublicKey } from '@edgeplay/shared/node';

export interface BrokerStandIn {
  url: string;
  /** Resolves once an edge has registered. */
  registered: Promise<void>;
  close(): Promise<void>;
}

/**
 * Stands in for the broker's /edge namespace in edge-node tests: accepts any edge and hands
 * it `ticketKey` as the broker's ticket-signing key, so a test can sign tickets itself.
 */
export async function startBrokerStandIn(ticketKey: KeyObject): Promise<BrokerStandIn> {
  // Anything but socket.io (e.g. the studio titles an edge fetches at start) is not here.
  const http = createServer((_req, res) => res.writeHead(404).end());
  const server = new Server(http, { transports: ['websocket'] });
  let markRegistered: () => void = () => undefined;
  const registered = new Promise<void>((resolve) => (markRegistered = resolve));
  server.of('/edge').on('connection', (socket) => {
    socket.on('edge:register', (_payload: unknown, ack: (answer: unknown) => void) => {
      ack({ ok: true, brokerPublicKey: exportPublicKey(ticketKey), leaseMs: 10_000 });
      markRegistered();
    });
    socket.on('edge:challenge', (_payload: unknown, ack: (answer: unknown) => void) =>
      ack({ ok: true, challenge: createChallenge(), chainId: 31337 }),
    );
    for (const event of ['edge:heartbeat', 'edge:session']) {
      socket.on(event, (_payload: unknown, ack: (answer: unknown) => void) => ack({ ok: true }));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    registered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
