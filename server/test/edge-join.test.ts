import { setTimeout as delay } from 'node:timers/promises';
import { Wallet } from 'ethers';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSessionKey, signJoinProof } from '@edgeplay/shared/node';
import { createBroker, type Broker } from '../src/broker.js';
import { BrokerConfigSchema } from '../src/config.js';
import { connectSocket } from './connect-socket.js';
import { registerEdge } from './edge-join-helper.js';

const registration = (edgeId: string) => ({
  edgeId,
  signalingUrl: 'http://127.0.0.1:1',
  titles: [{ id: 'ltris', name: 'LTris', resolution: { width: 640, height: 480 }, fps: 60 }],
  maxSessions: 1,
});

describe('edges join with the operator wallet', () => {
  let broker: Broker;
  let url: string;
  const sockets: Socket[] = [];
  const connect = (): Promise<Socket> => connectSocket(url, '/edge', undefined, sockets);

  beforeAll(async () => {
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent' });
    broker = createBroker({ config, logger: pino({ level: 'silent' }) });
    ({ url } = await broker.start());
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('accepts a proof signed by the operator for this broker and this challenge', async () => {
    expect(await registerEdge(await connect(), url, registration('edge-ok'))).toMatchObject({
      ok: true,
      leaseMs: 10_000,
    });
  });

  it('refuses a registration without a proof, or without asking for a challenge', async () => {
    const socket = await connect();
    expect(await socket.timeout(2000).emitWithAck('edge:register', registration('edge-a'))).toMatchObject({
      ok: false,
      code: 'INVALID_MESSAGE',
    });
    const wallet = Wallet.createRandom();
    const key = createSessionKey(60_000);
    const proof = await signJoinProof(wallet, {
      edgeId: 'edge-a',
      challenge: `0x${'11'.repeat(32)}`,
      sessionKey: key.publicKeyRaw,
      sessionKeyExpiresAt: key.expiresAt,
      brokerOrigin: new URL(url).origin,
      chainId: 31337,
    });
    expect(await socket.timeout(2000).emitWithAck('edge:register', { ...registration('edge-a'), proof })).toMatchObject(
      {
        ok: false,
        code: 'UNAUTHORIZED',
      },
    );
  });

  it('refuses a proof made for another broker, and a challenge answered twice', async () => {
    const socket = await connect();
    const challenge = (await socket.timeout(2000).emitWithAck('edge:challenge', {})) as {
      challenge: string;
      chainId: number;
    };
    const key = createSessionKey(60_000);
    const fields = {
      edgeId: 'edge-b',
      challenge: challenge.challenge,
      sessionKey: key.publicKeyRaw,
      sessionKeyExpiresAt: key.expiresAt,
      chainId: challenge.chainId,
    };
    const wallet = Wallet.createRandom();
    const elsewhere = await signJoinProof(wallet, { ...fields, brokerOrigin: 'https://other-broker.example' });
    expect(
      await socket.timeout(2000).emitWithAck('edge:register', { ...registration('edge-b'), proof: elsewhere }),
    ).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
    // The challenge was spent by that attempt: a correct proof over it is refused too.
    const here = await signJoinProof(wallet, { ...fields, brokerOrigin: new URL(url).origin });
    expect(
      await socket.timeout(2000).emitWithAck('edge:register', { ...registration('edge-b'), proof: here }),
    ).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
  });

  it('keeps an edge id for the operator who registered it first', async () => {
    const owner = Wallet.createRandom();
    expect(await registerEdge(await connect(), url, registration('edge-owned'), owner)).toMatchObject({ ok: true });
    expect(await registerEdge(await connect(), url, registration('edge-owned'))).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
    expect(await registerEdge(await connect(), url, registration('edge-owned'), owner)).toMatchObject({ ok: true });
  });

  it('takes declared capabilities and GPU telemetry in heartbeats, and refuses junk readings', async () => {
    const gpu = {
      index: 0,
      uuid: 'GPU-5d1c2c3e-9b9e-4a55-8b0a-1f2e3d4c5b6a',
      model: 'NVIDIA GeForce RTX 4090',
      vramTotalMiB: 24564,
      vramUsedMiB: 1200,
      driverVersion: '550.54.14',
      utilizationPercent: 37,
      temperatureC: 61,
      encoder: { supported: true, sessions: 1, utilizationPercent: 12 },
    };
    const socket = await connect();
    expect(
      await registerEdge(socket, url, {
        ...registration('edge-gpu'),
        gpuClass: 'rtx-4090',
        capabilities: { gpus: [gpu], encoders: ['libx264', 'h264_nvenc'] },
      }),
    ).toMatchObject({ ok: true });
    expect(await socket.timeout(2000).emitWithAck('edge:heartbeat', { activeSessions: 1, gpus: [gpu] })).toEqual({
      ok: true,
    });
    expect(
      await socket
        .timeout(2000)
        .emitWithAck('edge:heartbeat', { activeSessions: 1, gpus: [{ ...gpu, utilizationPercent: 400 }] }),
    ).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
  });

  it('stops taking heartbeats once the session key the edge joined with has expired', async () => {
    const socket = await connect();
    expect(await registerEdge(socket, url, registration('edge-short-key'), Wallet.createRandom(), 600)).toMatchObject({
      ok: true,
    });
    expect(await socket.timeout(2000).emitWithAck('edge:heartbeat', { activeSessions: 0 })).toEqual({ ok: true });
    await delay(700);
    expect(await socket.timeout(2000).emitWithAck('edge:heartbeat', { activeSessions: 0 })).toMatchObject({
      ok: false,
      code: 'UNAUTHORIZED',
    });
  });
});
