import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';

const PLAYER_KEY = `0x${'cd'.repeat(32)}`;
const TITLE = { id: 'chromium-bsu', name: 'Chromium B.S.U.', resolution: { width: 800, height: 600 }, fps: 60 };

/** The value of one sample line of Prometheus text output, e.g. `name{label="x"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('broker /metrics', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];
  const scrape = async (): Promise<string> => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent' });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await broker.stop();
  });

  it('counts sockets, placements by outcome, and times them', async () => {
    const before = await scrape();
    expect(sample(before, 'edgeplay_player_sockets')).toBe(0);
    expect(sample(before, 'edgeplay_edge_sockets')).toBe(0);

    const edge = await connectSocket(url, '/edge', undefined, sockets);
    expect(
      await registerEdge(edge, url, {
        edgeId: 'edge-metrics-test',
        signalingUrl: 'http://127.0.0.1:1',
        titles: [TITLE],
        maxSessions: 1,
      }),
    ).toMatchObject({ ok: true });
    const player = await connectSocket(url, '/', undefined, sockets);
    const ask = (titleId: string): Promise<unknown> =>
      player.timeout(2000).emitWithAck('session:request', { playerKey: PLAYER_KEY, titleId });
    expect(await ask('chromium-bsu')).toMatchObject({ ok: true });
    expect(await ask('chromium-bsu')).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
    expect(await ask('no-such-title')).toMatchObject({ ok: false, code: 'TITLE_NOT_FOUND' });

    const after = await scrape();
    expect(sample(after, 'edgeplay_player_sockets')).toBe(1);
    expect(sample(after, 'edgeplay_edge_sockets')).toBe(1);
    expect(sample(after, 'edgeplay_placements_total{outcome="placed"}')).toBe(1);
    expect(sample(after, 'edgeplay_placements_total{outcome="NO_CAPACITY"}')).toBe(1);
    expect(sample(after, 'edgeplay_placements_total{outcome="TITLE_NOT_FOUND"}')).toBe(1);
    expect(sample(after, 'edgeplay_placement_seconds_count')).toBe(3);
    expect(sample(after, 'edgeplay_placement_seconds_bucket{le="1"}')).toBe(3);
    expect(sample(after, 'edgeplay_queue_length')).toBe(0);
    expect(after).toMatch(/^edgeplay_broker_process_cpu_seconds_total /m);
  });

  it('counts usage receipts by side and answer', async () => {
    const player = await connectSocket(url, '/', undefined, sockets);
    expect(await player.timeout(2000).emitWithAck('receipt:submit', { not: 'a receipt' })).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    const edge = await connectSocket(url, '/edge', undefined, sockets);
    // Before edge:register no receipt of it is taken.
    expect(await edge.timeout(2000).emitWithAck('edge:receipts', { receipts: [] })).toMatchObject({ ok: false });
    const text = await scrape();
    expect(sample(text, 'edgeplay_receipts_total{side="player",outcome="INVALID_MESSAGE"}')).toBe(1);
    expect(text).toMatch(/^edgeplay_receipts_total\{side="edge",outcome="[A-Z_]+"\} 1$/m);
    // Payouts are off on this broker: no epoch gauge.
    expect(text).not.toMatch(/^edgeplay_payout_epochs/m);
  });
});
