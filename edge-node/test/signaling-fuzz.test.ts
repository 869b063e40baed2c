import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { JunkMaker } from '../../e2e/src/junk.js';
import { EdgeConfigSchema } from '../src/config.js';
import { createEdgeNode, type EdgeNode } from '../src/edge-node.js';
import { createKeystore } from '../src/identity/keystore.js';
import { startBrokerStandIn, type BrokerStandIn } from './broker-stand-in.js';

const CODES = new Set<string>(Object.values(ErrorCode));
const TRANSPORT_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
/** A plausible message per signaling event, for the fuzzer to mutate. */
const EVENTS: Record<string, Record<string, unknown>> = {
  'session:join': { ticket: 'eyJ2IjoxfQ.c2ln', signature: `0x${'ab'.repeat(64)}` },
  'transport:create': { direction: 'recv', sctpCapabilities: { numStreams: { OS: 1024, MIS: 1024 } } },
  'transport:connect': {
    transportId: TRANSPORT_ID,
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] },
  },
  'media:consume': { rtpCapabilities: { codecs: [], headerExtensions: [] } },
  'media:resume': { consumerId: TRANSPORT_ID },
  'data:produce': {
    transportId: TRANSPORT_ID,
    sctpStreamParameters: { streamId: 0, ordered: true },
    label: 'input',
    protocol: '',
  },
  'session:end': {},
  'session:resume': { sessionId: TRANSPORT_ID, ticket: 'eyJ2IjoxfQ.c2ln', signature: `0x${'ab'.repeat(64)}` },
  'transport:restart-ice': { transportId: TRANSPORT_ID },
};
const PER_EVENT = 300;

describe('fuzzing the edge signaling', () => {
  let broker: BrokerStandIn;
  let edge: EdgeNode;
  let signalingUrl: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    broker = await startBrokerStandIn();
    const keystorePath = join(await mkdtemp(join(tmpdir(), 'edgeplay-keystore-')), 'operator.json');
    await createKeystore(keystorePath, 'test-password', { scryptN: 2 ** 10 });
    const config = EdgeConfigSchema.parse({
      edgeId: 'edge-fuzz',
      brokerUrl: broker.url,
      keystorePath,
      keystorePassword: 'test-password',
      signalingPort: 0,
      titles: 'latency-probe',
      // Far above the flood: this test is about the handlers, not the rate limit.
      playerEventsPerSecond: 1_000_000,
      addressEventsPerSecond: 1_000_000,
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

  it(`answers ${PER_EVENT} mutated messages on every event with coded errors and starts nothing`, async () => {
    const socket = io(signalingUrl, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    const bad: string[] = [];
    for (const [index, [event, template]] of Object.entries(EVENTS).entries()) {
      const junk = new JunkMaker(7000 + index);
      for (let i = 0; i < PER_EVENT; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const answer = (await socket.timeout(5000).emitWithAck(event, junk.mutate(template as never))) as {
              ok?: unknown;
              code?: unknown;
            };
            if (answer?.ok !== false || !CODES.has(String(answer.code)))
              bad.push(`${event} #${i + j} (seed ${junk.seed}): ${JSON.stringify(answer).slice(0, 200)}`);
          }),
        );
      }
    }
    expect(bad).toEqual([]);
    expect(edge.sessions().size).toBe(0);
    expect((await fetch(new URL('/healthz', signalingUrl))).status).toBe(200);
  });
});
