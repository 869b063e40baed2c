import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSessionKey,
  signWithSessionKey,
  generateTicketKeyPair,
  newTicketNonce,
  signTicket,
} from '@edgeplay/shared/node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeystore } from '../src/identity/keystore.js';
import { playerJoinMessage, type TicketPayload } from '@edgeplay/shared';
import { EdgeConfigSchema } from '../src/config.js';
import { createEdgeNode, type EdgeNode } from '../src/edge-node.js';
import { isAlive } from '../../e2e/src/process-tree.js';
import { startBrokerStandIn, type BrokerStandIn } from './broker-stand-in.js';

const EDGE_ID = 'edge-signaling-test';
const brokerKeys = generateTicketKeyPair();
/** The page's key in these tests; the edge wants the join signed by the ticket's player key. */
const player = createSessionKey(60 * 60 * 1000);
const sign = (ticketText: string, key = player): string =>
  `0x${signWithSessionKey(key, Buffer.from(playerJoinMessage(ticketText))).toString('hex')}`;

function ticket(overrides: Partial<TicketPayload> = {}, key = brokerKeys.privateKey): string {
  const now = Date.now();
  return signTicket(
    {
      v: 1,
      sessionId: randomUUID(),
      edgeId: EDGE_ID,
      titleId: 'latency-probe',
      playerKey: player.publicKeyRaw,
      iat: now,
      exp: now + 30_000,
      nonce: newTicketNonce(),
      ...overrides,
    },
    key,
  );
}

describe('edge signaling against junk and bad tickets', () => {
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
  const ask = (socket: Socket, event: string, payload?: unknown): Promise<{ ok: boolean; code?: string }> =>
    socket.timeout(20_000).emitWithAck(event, payload) as Promise<{ ok: boolean; code?: string }>;

  beforeAll(async () => {
    broker = await startBrokerStandIn(brokerKeys);
    const keystorePath = join(await mkdtemp(join(tmpdir(), 'edgeplay-keystore-')), 'operator.json');
    await createKeystore(keystorePath, 'test-password', { scryptN: 2 ** 10 });
    const config = EdgeConfigSchema.parse({
      edgeId: EDGE_ID,
      brokerUrl: broker.url,
      keystorePath,
      keystorePassword: 'test-password',
      receiptJournalDir: join(keystorePath, '..', 'receipts'),
      signalingPort: 0,
      titles: 'latency-probe',
      // The last test waits out the reconnect grace (session-resume.test.ts covers resuming).
      reconnectGraceMs: 500,
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

  it('answers junk on every event with a coded error', async () => {
    const events = [
      'session:join',
      'transport:create',
      'transport:connect',
      'media:consume',
      'media:resume',
      'data:produce',
      'session:end',
    ];
    const junk = [
      undefined,
      null,
      7,
      'x',
      [],
      { ticket: 12 },
      { transportId: 'x'.repeat(5000) },
      { direction: 'sideways' },
    ];
    for (const event of events) {
      // One page per event: a single page sending all of this at once would be rate-limited (next test).
      const socket = await connect();
      for (const payload of junk) {
        const answer = await ask(socket, event, payload);
        expect(answer.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
        expect(['INVALID_MESSAGE', 'SESSION_NOT_FOUND']).toContain(answer.code);
      }
    }
  });

  it('answers a flooding page RATE_LIMITED while another page is served', async () => {
    const flooder = await connect();
    const other = await connect();
    const answers = await Promise.all(Array.from({ length: 100 }, () => ask(flooder, 'session:end', {})));
    const limited = answers.filter((answer) => answer.code === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThanOrEqual(50);
    expect(limited).toBeLessThanOrEqual(100 - 40); // the burst (2 × 20/s) was served
    expect(await ask(other, 'session:end', {})).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
  });

  it.each([
    ['forged', () => ticket({}, generateTicketKeyPair().privateKey), 'TICKET_INVALID'],
    ['expired', () => ticket({ exp: Date.now() - 1000 }), 'TICKET_EXPIRED'],
    ['issued for another edge', () => ticket({ edgeId: 'edge-elsewhere' }), 'TICKET_INVALID'],
    ['for a title this node does not offer', () => ticket({ titleId: 'chromium-bsu' }), 'TITLE_NOT_FOUND'],
    ['truncated', () => ticket().slice(0, 40), 'INVALID_MESSAGE'],
  ])('refuses a ticket that is %s and starts nothing', async (_what, make, code) => {
    const socket = await connect();
    const made = make();
    expect(await ask(socket, 'session:join', { ticket: made, signature: sign(made) })).toMatchObject({
      ok: false,
      code,
    });
    expect(edge.sessions().size).toBe(0);
  });

  it('opens a session for a good ticket once, refuses the same ticket again, and cleans up once the player stays away', async () => {
    const good = ticket();
    const playerSocket = await connect();
    const impostor = await connect();
    expect(
      await ask(impostor, 'session:join', { ticket: good, signature: sign(good, createSessionKey(60_000)) }),
    ).toMatchObject({ ok: false, code: 'TICKET_INVALID' });
    expect(edge.sessions().size).toBe(0);
    const joined = (await ask(playerSocket, 'session:join', { ticket: good, signature: sign(good) })) as {
      ok: boolean;
      routerRtpCapabilities?: { codecs: unknown[] };
    };
    expect(joined.ok).toBe(true);
    expect(joined.routerRtpCapabilities?.codecs.length).toBeGreaterThan(0);
    const [session] = [...edge.sessions().values()];
    const pids = session?.pids ?? [];
    // Xvfb, the title, the video encoder, the sound server and the audio encoder.
    expect(pids.length).toBe(5);
    // The node says how each session renders and encodes: here, no GPU, so software both ways.
    const health = (await (await fetch(new URL('/healthz', signalingUrl))).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ renderPath: 'xvfb', encodePath: 'libx264' });
    expect(health.sessionPaths).toEqual([{ sessionId: session?.id, renderPath: 'xvfb', encodePath: 'libx264' }]);

    const thief = await connect();
    expect(await ask(thief, 'session:join', { ticket: good, signature: sign(good) })).toMatchObject({
      ok: false,
      code: 'TICKET_REUSED',
    });
    const another = ticket();
    expect(await ask(playerSocket, 'session:join', { ticket: another, signature: sign(another) })).toMatchObject({
      ok: false,
      code: 'SESSION_STATE',
    });
    expect(await ask(playerSocket, 'media:consume', { rtpCapabilities: { codecs: [] } })).toMatchObject({
      ok: false,
      code: 'SESSION_STATE',
    });
    expect(
      await ask(playerSocket, 'transport:create', {
        direction: 'recv',
        sctpCapabilities: { numStreams: { OS: 0, MIS: 0 } },
      }),
    ).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    const created = (await ask(playerSocket, 'transport:create', {
      direction: 'send',
      sctpCapabilities: { numStreams: { OS: 1024, MIS: 1024 } },
    })) as {
      ok: boolean;
      transport?: { id: string };
    };
    expect(created.ok).toBe(true);
    expect(
      await ask(playerSocket, 'data:produce', {
        transportId: created.transport?.id,
        sctpStreamParameters: { streamId: 0, ordered: true },
        label: 'shell',
        protocol: '',
      }),
    ).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    expect(
      await ask(playerSocket, 'transport:connect', {
        transportId: created.transport?.id,
        dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: 'zz' }] },
      }),
    ).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });

    // The running session shows on the node's Prometheus endpoint, with its encoder's stream.
    const scrape = async (): Promise<string> => (await fetch(new URL('/metrics', signalingUrl))).text();
    expect(await scrape()).toMatch(/^edgeplay_edge_sessions 1$/m);
    await expect
      .poll(scrape, { timeout: 10_000, interval: 500 })
      .toMatch(new RegExp(`^edgeplay_edge_stream_bitrate_bps\\{session="${session?.id}"\\} [1-9]\\d*$`, 'm'));
    expect(await scrape()).toMatch(/^edgeplay_edge_gpus 0$/m);

    const ended = new Promise((resolve) => session?.once('ended', resolve));
    playerSocket.close();
    await ended;
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(edge.sessions().size).toBe(0);
  });
});
