import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playerJoinMessage, playerResumeMessage } from '@edgeplay/shared';
import {
  createSessionKey,
  generateTicketKeyPair,
  newTicketNonce,
  signTicket,
  signWithSessionKey,
  type SessionKey,
} from '@edgeplay/shared/node';
import { EdgeConfigSchema } from '../src/config.js';
import { createEdgeNode, type EdgeNode } from '../src/edge-node.js';
import { createKeystore } from '../src/identity/keystore.js';
import { isAlive } from '../../e2e/src/process-tree.js';
import { startBrokerStandIn, type BrokerStandIn } from './broker-stand-in.js';

const EDGE_ID = 'edge-resume-test';
const GRACE_MS = 3000;
const brokerKeys = generateTicketKeyPair();

type Answer = { ok: boolean; code?: string; sessionId?: string; challenge?: string; transport?: { id: string } };

function ticketFor(player: SessionKey): { ticket: string; sessionId: string } {
  const now = Date.now();
  const sessionId = randomUUID();
  const ticket = signTicket(
    {
      v: 1,
      sessionId,
      edgeId: EDGE_ID,
      titleId: 'latency-probe',
      playerKey: player.publicKeyRaw,
      iat: now,
      exp: now + 30_000,
      nonce: newTicketNonce(),
    },
    brokerKeys.privateKey,
  );
  return { ticket, sessionId };
}

const signHex = (key: SessionKey, text: string): string =>
  `0x${signWithSessionKey(key, Buffer.from(text)).toString('hex')}`;

describe('a player who drops off and comes back', () => {
  let broker: BrokerStandIn;
  let edge: EdgeNode;
  let signalingUrl: string;
  const sockets: Socket[] = [];

  const connect = async (): Promise<Socket> => {
    const socket = io(signalingUrl, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };
  const ask = (socket: Socket, event: string, payload?: unknown): Promise<Answer> =>
    socket.timeout(20_000).emitWithAck(event, payload) as Promise<Answer>;

  /** A new connection asks for a challenge and signs it with `key`. */
  const resume = async (
    key: SessionKey,
    opened: { ticket: string; sessionId: string },
  ): Promise<{ socket: Socket; answer: Answer; signature: string }> => {
    const socket = await connect();
    const { challenge } = await ask(socket, 'session:challenge', {});
    const signature = signHex(key, playerResumeMessage(challenge ?? '', opened.ticket));
    const answer = await ask(socket, 'session:resume', {
      sessionId: opened.sessionId,
      ticket: opened.ticket,
      signature,
    });
    return { socket, answer, signature };
  };

  const joinAs = async (player: SessionKey): Promise<{ socket: Socket; ticket: string; sessionId: string }> => {
    const opened = ticketFor(player);
    const socket = await connect();
    const answer = await ask(socket, 'session:join', {
      ticket: opened.ticket,
      signature: signHex(player, playerJoinMessage(opened.ticket)),
    });
    expect(answer).toMatchObject({ ok: true, sessionId: opened.sessionId });
    return { socket, ...opened };
  };

  beforeAll(async () => {
    broker = await startBrokerStandIn(brokerKeys);
    const keystorePath = join(await mkdtemp(join(tmpdir(), 'edgeplay-keystore-')), 'operator.json');
    await createKeystore(keystorePath, 'test-password', { scryptN: 2 ** 10 });
    const config = EdgeConfigSchema.parse({
      edgeId: EDGE_ID,
      brokerUrl: broker.url,
      keystorePath,
      keystorePassword: 'test-password',
      signalingPort: 0,
      titles: 'latency-probe',
      maxSessions: 2,
      reconnectGraceMs: GRACE_MS,
    });
    edge = createEdgeNode({ config, logger: pino({ level: 'silent' }) });
    ({ signalingUrl } = await edge.start());
    await broker.registered;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await edge.stop();
    await broker.close();
  });

  it('resumes the same running game on a new connection within the grace period', async () => {
    const player = createSessionKey(60 * 60 * 1000);
    const first = await joinAs(player);
    const session = edge.sessions().get(first.sessionId);
    const pids = session?.pids ?? [];
    expect(pids.length).toBeGreaterThan(0);
    expect((await ask(first.socket, 'transport:create', { direction: 'recv' })).ok).toBe(true);

    first.socket.close();
    // Longer than the edge takes to notice, shorter than the grace.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(session?.closed).toBe(false);

    // Someone else's key, with the right ticket and session id: refused, and the session stays held.
    const stranger = await resume(createSessionKey(60_000), first);
    expect(stranger.answer).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    // No challenge asked on this connection: refused.
    const unchallenged = await connect();
    expect(
      await ask(unchallenged, 'session:resume', {
        sessionId: first.sessionId,
        ticket: first.ticket,
        signature: stranger.signature,
      }),
    ).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });

    const back = await resume(player, first);
    expect(back.answer).toMatchObject({ ok: true, sessionId: first.sessionId });
    expect(edge.sessions().get(first.sessionId)).toBe(session);
    expect(session?.pids).toEqual(pids);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    // The old transports are gone: the page makes new ones, and restarts ICE on them.
    const recv = await ask(back.socket, 'transport:create', { direction: 'recv' });
    expect(recv.ok).toBe(true);
    const restarted = (await ask(back.socket, 'transport:restart-ice', { transportId: recv.transport?.id })) as {
      ok: boolean;
      iceParameters?: { usernameFragment: string };
    };
    expect(restarted.ok).toBe(true);
    expect(restarted.iceParameters?.usernameFragment.length).toBeGreaterThan(0);

    // The same signed resume played again on another connection fails: its challenge differs.
    const replay = await connect();
    await ask(replay, 'session:challenge', {});
    expect(
      await ask(replay, 'session:resume', {
        sessionId: first.sessionId,
        ticket: first.ticket,
        signature: back.signature,
      }),
    ).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });

    // Still held past the first grace period: the resumed connection drives it now.
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
    expect(session?.closed).toBe(false);
    const ended = new Promise((resolve) => session?.once('ended', resolve));
    expect(await ask(back.socket, 'session:end', {})).toMatchObject({ ok: true });
    await ended;
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  it('ends the session after the grace period when nobody comes back, and refuses a late resume', async () => {
    const player = createSessionKey(60 * 60 * 1000);
    const first = await joinAs(player);
    const session = edge.sessions().get(first.sessionId);
    const pids = session?.pids ?? [];
    const ended = new Promise<{ code: string }>((resolve) => session?.once('ended', resolve));
    const droppedAt = Date.now();
    first.socket.close();
    expect(await ended).toMatchObject({ code: 'PLAYER_GONE' });
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(GRACE_MS - 100);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(edge.sessions().has(first.sessionId)).toBe(false);
    expect((await resume(player, first)).answer).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
  });

  it('answers junk resumes with a coded error', async () => {
    const socket = await connect();
    for (const payload of [undefined, {}, { sessionId: 'x', ticket: 'y', signature: 'z' }]) {
      expect(await ask(socket, 'session:resume', payload)).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    }
    expect(await ask(socket, 'transport:restart-ice', { transportId: 'nope' })).toMatchObject({
      ok: false,
      code: 'SESSION_NOT_FOUND',
    });
  });
});
