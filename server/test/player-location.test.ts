import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema, loadBrokerConfig } from '../src/config.js';
import { locationFromHeaders, parseLocationHeaders } from '../src/players/player-location.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';

const JOIN_TOKEN = 'location-test-token-0123';
const TITLE = { id: 'chromium-bsu', name: 'Chromium B.S.U.', resolution: { width: 800, height: 600 }, fps: 60 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const NEW_YORK = { lat: 40.7128, lon: -74.006 };
const HEADERS = { lat: 'x-client-latitude', lon: 'x-client-longitude' };

describe('PLAYER_LOCATION_HEADERS', () => {
  it('reads two header names, and refuses anything else by name', () => {
    expect(parseLocationHeaders(undefined)).toBeUndefined();
    expect(parseLocationHeaders(' X-Client-Latitude , x-client-longitude ')).toEqual(HEADERS);
    expect(() => loadBrokerConfig({ PLAYER_LOCATION_HEADERS: 'x-lat' })).toThrow(/PLAYER_LOCATION_HEADERS/);
    expect(() => loadBrokerConfig({ PLAYER_LOCATION_HEADERS: 'x lat,x lon' })).toThrow(/PLAYER_LOCATION_HEADERS/);
  });

  it('takes a valid position from the headers and nothing from absent or bad ones', () => {
    expect(locationFromHeaders({ 'x-client-latitude': '51.5', 'x-client-longitude': '-0.12' }, HEADERS)).toEqual({
      lat: 51.5,
      lon: -0.12,
    });
    expect(locationFromHeaders({ 'x-client-latitude': '51.5', 'x-client-longitude': '-0.12' }, undefined)).toBe(
      undefined,
    );
    expect(locationFromHeaders({ 'x-client-latitude': '51.5' }, HEADERS)).toBeUndefined();
    expect(locationFromHeaders({ 'x-client-latitude': 'north', 'x-client-longitude': '2' }, HEADERS)).toBeUndefined();
    expect(locationFromHeaders({ 'x-client-latitude': '91', 'x-client-longitude': '2' }, HEADERS)).toBeUndefined();
  });
});

describe('candidates nearest to where the proxy says the player is', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];
  const opened: WebSocket[] = [];

  /**
   * A player's socket.io connection made with `ws` itself, as a proxy forwards it: with headers.
   * (socket.io-client under vitest takes the browser WebSocket, which cannot send headers.)
   * Speaks just enough of the protocol: connect to the default namespace, then acknowledged events.
   */
  const player = async (headers: Record<string, string> = {}) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers });
    opened.push(socket);
    const answers = new Map<number, (value: unknown) => void>();
    let connected: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('0')) socket.send('40');
      else if (text === '2') socket.send('3');
      else if (text.startsWith('40')) connected();
      else {
        const ack = /^43(\d+)(.*)$/s.exec(text);
        if (ack) answers.get(Number(ack[1]))?.((JSON.parse(ack[2] ?? '[]') as unknown[])[0]);
      }
    });
    await ready;
    let nextId = 0;
    return {
      ask(event: string, payload: unknown): Promise<unknown> {
        const id = nextId++;
        return new Promise((resolve) => {
          answers.set(id, resolve);
          socket.send(`42${id}${JSON.stringify([event, payload])}`);
        });
      },
    };
  };
  const nearestFirst = async (
    socket: { ask(event: string, payload: unknown): Promise<unknown> },
    payload: Record<string, unknown> = {},
  ): Promise<string[]> => {
    const answer = (await socket.ask('session:candidates', { titleId: TITLE.id, ...payload })) as {
      candidates: { edgeId: string }[];
    };
    return answer.candidates.map((candidate) => candidate.edgeId.split('-')[0] ?? '');
  };

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({
      port: 0,
      edgeJoinToken: JOIN_TOKEN,
      clientDir: '/nonexistent',
      playerLocationHeaders: 'x-client-latitude,x-client-longitude',
    });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
    for (const [name, location] of [
      ['paris', PARIS],
      ['newyork', NEW_YORK],
    ] as const) {
      const edge = await connectSocket(url, '/edge', { token: JOIN_TOKEN }, sockets);
      const registered = await registerEdge(edge, url, {
        edgeId: `${name}-${randomUUID().slice(0, 8)}`,
        signalingUrl: `http://127.0.0.1:1/${name}`,
        titles: [TITLE],
        maxSessions: 1,
        location,
      });
      expect(registered.ok).toBe(true);
    }
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    for (const socket of opened.splice(0)) socket.close();
    await broker.stop();
  });

  it('lists the edges nearest to the proxy’s position first; a position the page sends wins', async () => {
    const inBoston = await player({ 'x-client-latitude': '42.36', 'x-client-longitude': '-71.06' });
    expect(await nearestFirst(inBoston)).toEqual(['newyork', 'paris']);
    expect(await nearestFirst(inBoston, { location: { lat: 50.85, lon: 4.35 } })).toEqual(['paris', 'newyork']);
    const inLondon = await player({ 'x-client-latitude': '51.51', 'x-client-longitude': '-0.13' });
    expect(await nearestFirst(inLondon)).toEqual(['paris', 'newyork']);
  });
});
