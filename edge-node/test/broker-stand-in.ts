import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import {
  createChallenge,
  createSessionKey,
  exportPublicKey,
  generateTicketKeyPair,
  newTicketNonce,
  signTicket,
  signWithSessionKey,
  type SessionKey,
  type TicketKeyPair,
} from '@edgeplay/shared/node';
import { playerJoinMessage, type TicketPayload } from '@edgeplay/shared';

/**
 * Stands in for the broker's /edge namespace in edge-node tests: accepts the edge's join,
 * hands it the ticket key, and signs tickets for a test player as the broker would.
 */
export interface BrokerStandIn {
  url: string;
  registered: Promise<void>;
  keys: TicketKeyPair;
  /** The test page's player key. */
  player: SessionKey;
  /** A ticket for `edgeId`, as placement would sign it. */
  ticket(edgeId: string, titleId: string, overrides?: Partial<TicketPayload>): string;
  /** The player key's signature over the join message of `ticket`. */
  sign(ticket: string, key?: SessionKey): string;
  close(): Promise<void>;
}

/** `keys`: the broker's ticket keys (a test that signs tickets itself passes its own). */
export async function startBrokerStandIn(keys: TicketKeyPair = generateTicketKeyPair()): Promise<BrokerStandIn> {
  const player = createSessionKey(60 * 60 * 1000);
  // Anything but socket.io (e.g. the studio titles an edge fetches at start) is not here.
  const http = createServer((_req, res) => res.writeHead(404).end());
  const server = new Server(http, { transports: ['websocket'] });
  let markRegistered: () => void = () => undefined;
  const registered = new Promise<void>((resolve) => (markRegistered = resolve));
  server.of('/edge').on('connection', (socket) => {
    socket.on('edge:register', (_payload: unknown, ack: (answer: unknown) => void) => {
      ack({ ok: true, brokerPublicKey: exportPublicKey(keys.publicKey), leaseMs: 10_000 });
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
    keys,
    player,
    ticket(edgeId, titleId, overrides = {}) {
      const now = Date.now();
      return signTicket(
        {
          v: 1,
          sessionId: randomUUID(),
          edgeId,
          titleId,
          playerKey: player.publicKeyRaw,
          iat: now,
          exp: now + 30_000,
          nonce: newTicketNonce(),
          ...overrides,
        },
        keys.privateKey,
      );
    },
    sign: (ticket, key = player) =>
      `0x${signWithSessionKey(key, Buffer.from(playerJoinMessage(ticket))).toString('hex')}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
