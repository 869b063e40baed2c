import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playerRejoinMessage } from '@edgeplay/shared';
import { createSessionKey, signTicket, generateTicketKeyPair, signWithSessionKey } from '@edgeplay/shared/node';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';

const TITLE = { id: 'supertux', name: 'SuperTux', resolution: { width: 1280, height: 720 }, fps: 60 };

type Answer = { ok: boolean; code?: string; sessionId?: string; ticket?: string; edge?: string };

/**
 * A page that reconnects to a broker mid-session (the broker restarted) is a stranger to it
 * until it proves it holds the session's player key: then it hears when the node is lost and
 * may ask `session:check`, instead of waiting out its reconnect window.
 */
describe('session:rejoin', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];
  const ask = (socket: Socket, event: string, payload: unknown): Promise<Answer> =>
    socket.timeout(3000).emitWithAck(event, payload) as Promise<Answer>;
  const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent' });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    url = (await broker.start()).url;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await broker?.stop();
  });

  it('lets the page holding the player key hear about its session on a new connection, and no one else', async () => {
    const edge = await connectSocket(url, '/edge', undefined, sockets);
    const edgeId = `edge-${randomUUID().slice(0, 8)}`;
    const registration = { edgeId, signalingUrl: 'http://127.0.0.1:1', titles: [TITLE], maxSessions: 1 };
    expect(await registerEdge(edge, url, registration)).toMatchObject({ ok: true });
    const playerKey = createSessionKey(60_000);
    const first = await connectSocket(url, '/', undefined, sockets);
    const placed = await ask(first, 'session:request', { titleId: TITLE.id, playerKey: playerKey.publicKeyRaw });
    expect(placed).toMatchObject({ ok: true });
    const ticket = String(placed.ticket);
    const sessionId = String(placed.sessionId);
    expect(await ask(edge, 'edge:session', { sessionId, state: 'started' })).toMatchObject({ ok: true });

    // The page's broker connection is a new one now: the broker does not know it.
    const again = await connectSocket(url, '/', undefined, sockets);
    expect(await ask(again, 'session:check', { sessionId })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    const sign = (socketId: string): string =>
      hex(signWithSessionKey(playerKey, Buffer.from(playerRejoinMessage(socketId, ticket))));

    // A proof made for another connection (one recorded, say) does not carry over …
    const stranger = await connectSocket(url, '/', undefined, sockets);
    expect(await ask(stranger, 'session:rejoin', { ticket, signature: sign(String(again.id)) })).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
    // … nor does a signature by another key, a ticket this broker did not sign, or junk.
    const otherKey = createSessionKey(60_000);
    const wrongSigner = hex(signWithSessionKey(otherKey, Buffer.from(playerRejoinMessage(String(again.id), ticket))));
    expect(await ask(again, 'session:rejoin', { ticket, signature: wrongSigner })).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
    const now = Date.now();
    const forged = signTicket(
      {
        v: 1,
        sessionId,
        edgeId,
        titleId: TITLE.id,
        playerKey: playerKey.publicKeyRaw,
        iat: now,
        exp: now + 30_000,
        nonce: 'n'.repeat(22),
      },
      generateTicketKeyPair().privateKey,
    );
    const forgedProof = hex(signWithSessionKey(playerKey, Buffer.from(playerRejoinMessage(String(again.id), forged))));
    expect(await ask(again, 'session:rejoin', { ticket: forged, signature: forgedProof })).toMatchObject({
      ok: false,
      code: 'TICKET_INVALID',
    });
    expect(await ask(again, 'session:rejoin', { ticket: 42 })).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(await ask(stranger, 'session:check', { sessionId })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });

    // The page signs for its own new connection: it may ask, and is told when the node is lost.
    expect(await ask(again, 'session:rejoin', { ticket, signature: sign(String(again.id)) })).toMatchObject({
      ok: true,
      sessionId,
    });
    expect(await ask(again, 'session:check', { sessionId })).toMatchObject({ ok: true, edge: 'connected' });
    const told = new Promise((resolve) => again.once('session:ended', resolve));
    edge.close();
    await expect
      .poll(async () => (await ask(again, 'session:check', { sessionId })).edge, { timeout: 3000 })
      .toBe('lost');
    expect(await told).toMatchObject({ sessionId, code: 'EDGE_LOST' });
  });
});
