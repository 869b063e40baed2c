import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';

type Answer = { ok: boolean; code?: string };

/** Sends `count` catalog requests at once and counts the answers by outcome. */
async function flood(
  socket: Socket,
  event: string,
  count: number,
): Promise<{ ok: number; limited: number; seconds: number }> {
  const started = performance.now();
  const answers = (await Promise.all(
    Array.from({ length: count }, () => socket.timeout(5000).emitWithAck(event, {})),
  )) as Answer[];
  return {
    ok: answers.filter((answer) => answer.code !== 'RATE_LIMITED').length,
    limited: answers.filter((answer) => answer.code === 'RATE_LIMITED').length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** At most the burst plus what the rate refilled while the flood lasted (a slow machine makes it last longer). */
const allowed = (burst: number, perSecond: number, seconds: number): number => burst + Math.ceil(perSecond * seconds);

describe('broker rate limits', () => {
  let broker: Broker | undefined;
  const sockets: Socket[] = [];

  const start = async (limits: Record<string, number>): Promise<string> => {
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent', ...limits });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    return (await broker.start()).url;
  };

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await broker?.stop();
  });

  it('answers a flooding player RATE_LIMITED while another player is served, and lets it back after a pause', async () => {
    const url = await start({ playerEventsPerSecond: 5 });
    const flooder = await connectSocket(url, '/', undefined, sockets);
    const other = await connectSocket(url, '/', undefined, sockets);

    const counts = await flood(flooder, 'catalog:list', 100);
    expect(counts.ok).toBeGreaterThanOrEqual(10); // the burst
    expect(counts.ok).toBeLessThanOrEqual(allowed(10, 5, counts.seconds));
    expect(counts.limited).toBe(100 - counts.ok);
    expect(await other.timeout(2000).emitWithAck('catalog:list', {})).toEqual({ ok: true, titles: [] });

    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await flooder.timeout(2000).emitWithAck('catalog:list', {})).toEqual({ ok: true, titles: [] });
  });

  it('limits one address across all its sockets', async () => {
    const url = await start({ playerEventsPerSecond: 1000, addressEventsPerSecond: 10 });
    const first = await connectSocket(url, '/', undefined, sockets);
    const second = await connectSocket(url, '/', undefined, sockets);
    const counts = await flood(first, 'catalog:list', 40);
    expect(counts.ok).toBeGreaterThanOrEqual(20);
    expect(counts.ok).toBeLessThanOrEqual(allowed(20, 10, counts.seconds));
    // The second socket shares the address's exhausted bucket (its own limit is 1000/s).
    const fromSecond = await flood(second, 'catalog:list', 10);
    expect(fromSecond.limited).toBeGreaterThanOrEqual(10 - allowed(0, 10, counts.seconds + fromSecond.seconds));
  });

  it('rate-limits a flooding edge socket', async () => {
    const url = await start({ edgeEventsPerSecond: 5 });
    const edge = await connectSocket(url, '/edge', undefined, sockets);
    const counts = await flood(edge, 'edge:heartbeat', 100);
    expect(counts.ok).toBeGreaterThanOrEqual(10);
    expect(counts.ok).toBeLessThanOrEqual(allowed(10, 5, counts.seconds));
    expect(counts.limited).toBe(100 - counts.ok);
  });
});
