import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerStack } from '../scripts/local-stack.js';
import { createKeystore } from '../edge-node/src/identity/keystore.js';
import { startRedisServer, type RedisServer } from '../server/test/store/redis-server.js';
import { launchBrowser, type Browser } from './src/browser.js';

const LOG_DIR = '.tmp/e2e-logs/log-redaction';
/** Long enough for the first full receipt slot (10 s after the ticket) to be signed by both sides. */
const PLAY_MS = 16_000;

/** hex (with and without 0x), base64 and base64url: the forms a log would print bytes in. */
function bytesForms(bytes: Buffer): string[] {
  const hex = bytes.toString('hex');
  return [hex, `0x${hex}`, bytes.toString('base64'), bytes.toString('base64url')];
}

/**
 * Secrets never reach a log. A broker (on a Redis with a password) and an edge node run as
 * separate processes at log level `trace`, with a join token, a broker key file and an
 * operator keystore made for this test; a player plays a whole session in Chromium (receipts
 * signed, a watch link shared and opened by a spectator, End pressed), and the session's
 * ticket and watch token are then replayed at the edge, which refuses them. Every line
 * either process wrote to stdout or stderr is searched for every secret in the forms a log
 * would carry it in. The secrets that never leave a process (the edge's Ed25519 session
 * keys, its watch-token HMAC key) are recorded by instrumentation loaded into the
 * services (`e2e/src/secret-capture.mjs`).
 */
describe('no secret in any log line', () => {
  let dir: string;
  let redis: RedisServer;
  let stack: BrokerStack;
  let browser: Browser;
  let edgePid: number | undefined;
  const secrets = new Map<string, string[]>();
  const captureFile = (): string => join(dir, 'captured-secrets.jsonl');
  let adminToken = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-redaction-'));
    const keystorePassword = `pw-${randomBytes(12).toString('hex')}`;
    const joinToken = `jt-${randomBytes(16).toString('hex')}`;
    const redisPassword = `rp-${randomBytes(16).toString('hex')}`;
    adminToken = `at-${randomBytes(16).toString('hex')}`;
    const keystore = join(dir, 'operator.json');
    // A low scrypt cost: this keystore guards nothing but this test.
    const operator = await createKeystore(keystore, keystorePassword, { scryptN: 2 ** 10 });
    const brokerKey = generateKeyPairSync('ed25519').privateKey;
    const brokerKeyFile = join(dir, 'broker-key.pem');
    await writeFile(brokerKeyFile, brokerKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });

    secrets.set('operator keystore password', [keystorePassword]);
    secrets.set('operator private key', bytesForms(Buffer.from(operator.privateKey.slice(2), 'hex')));
    secrets.set('edge join token', [joinToken]);
    secrets.set('redis password', [redisPassword]);
    secrets.set('admin token', [adminToken]);
    secrets.set('broker ticket signing key', [
      ...bytesForms(brokerKey.export({ format: 'der', type: 'pkcs8' })),
      ...bytesForms(Buffer.from(brokerKey.export({ format: 'jwk' }).d ?? '', 'base64url')),
    ]);

    redis = await startRedisServer({ password: redisPassword });
    const instrumented = {
      NODE_OPTIONS: `--import ${resolve('e2e/src/secret-capture.mjs')}`,
      EDGEPLAY_SECRET_CAPTURE: captureFile(),
    };
    await rm(LOG_DIR, { recursive: true, force: true });
    stack = await startBroker({
      logLevel: 'trace',
      logDir: LOG_DIR,
      brokerEnv: {
        ...instrumented,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
        BROKER_KEY_FILE: brokerKeyFile,
        EDGE_JOIN_TOKEN: joinToken,
        ADMIN_TOKEN: adminToken,
      },
    });
    const edge = await stack.addEdge({
      titles: ['latency-probe'],
      env: {
        ...instrumented,
        EDGE_KEYSTORE: keystore,
        EDGE_KEYSTORE_PASSWORD: keystorePassword,
        EDGE_JOIN_TOKEN: joinToken,
      },
    });
    // setpriv execs the service: its pid is the node process's.
    edgePid = edge.process.pid;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plays a whole session, and neither the broker’s nor the edge’s log holds a key, ticket, token or password', async () => {
    const { page } = browser;
    // What the page and the broker and edge say to each other carries the tickets.
    const frames: string[] = [];
    page.on('websocket', (socket) => {
      socket.on('framesent', ({ payload }) => frames.push(String(payload)));
      socket.on('framereceived', ({ payload }) => frames.push(String(payload)));
    });
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 30_000 });

    await page.getByRole('button', { name: 'Share watch link' }).click();
    const field = page.getByRole('textbox', { name: 'watch link' });
    await expect.poll(() => field.inputValue(), { timeout: 10_000 }).toMatch(/\/watch\.html#edge=.+&token=/);
    const link = await field.inputValue();
    const { edge, token } = Object.fromEntries(new URLSearchParams(new URL(link).hash.slice(1)));
    const spectator = await browser.context.newPage();
    await spectator.goto(link);
    await spectator.waitForSelector('body[data-state="watching"]', { timeout: 30_000 });

    await page.bringToFront();
    await page.waitForTimeout(PLAY_MS);
    await page.getByRole('button', { name: 'End session' }).click();
    await page.waitForSelector('body[data-state="ended"]');
    await stack.waitForLog((line) => line.msg === 'interval verified', 20_000);

    const tickets = [
      ...new Set(frames.flatMap((frame) => [...frame.matchAll(/"ticket":"([^"]+)"/g)].map((m) => m[1]))),
    ];
    const joins = frames.flatMap((frame) => [...frame.matchAll(/"session:join",(\{[^}]*\})/g)].map((m) => m[1]));
    expect(tickets.length).toBeGreaterThan(0);
    expect(joins.length).toBeGreaterThan(0);
    secrets.set(
      'session ticket',
      tickets.flatMap((ticket) => [ticket ?? '', ticket?.split('.')[1] ?? '']),
    );
    secrets.set('watch token', [token ?? '']);

    // A studio: made with the admin token, its API key used, a wrong key and a wrong token refused.
    const api = (path: string, token: string, body?: unknown): Promise<Response> =>
      fetch(`${stack.url}/api${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const made = (await (await api('/admin/studios', adminToken, { name: 'Redaction Games' })).json()) as {
      apiKey?: string;
    };
    expect(made.apiKey).toMatch(/^eps_/);
    const apiKey = made.apiKey ?? '';
    secrets.set('studio API key', [apiKey, apiKey.slice(4)]);
    expect((await api('/studio/titles', apiKey)).status).toBe(200);
    expect((await api('/studio/titles', `${apiKey}x`)).status).toBe(401);
    expect((await api('/admin/studios', `${adminToken}x`, { name: 'Nope' })).status).toBe(401);

    // The refusals are where a careless handler would print what it was given.
    const signaling = io(edge, { transports: ['websocket'], reconnection: false });
    const watch = io(`${edge}/watch`, { transports: ['websocket'], reconnection: false });
    try {
      const replayed = await signaling.timeout(10_000).emitWithAck('session:join', JSON.parse(joins[0] ?? '{}'));
      expect(replayed).toMatchObject({ ok: false });
      const refused = await watch.timeout(10_000).emitWithAck('watch:join', { token });
      expect(refused).toMatchObject({ ok: false });
      const tampered = await watch.timeout(10_000).emitWithAck('watch:join', { token: `${token}x` });
      expect(tampered).toMatchObject({ ok: false });
    } finally {
      signaling.close();
      watch.close();
    }
    await stack.stop();

    // The secrets only the services themselves knew.
    const captured = (await readFile(captureFile(), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { kind: string; pid: number; forms: string[] });
    const ofEdge = captured.filter((entry) => entry.pid === edgePid);
    // At least one session key per join, and the key watch tokens are signed with.
    expect(ofEdge.filter((entry) => entry.kind === 'keypair:ed25519').length).toBeGreaterThanOrEqual(1);
    expect(ofEdge.filter((entry) => entry.kind === 'hmac').length).toBeGreaterThanOrEqual(1);
    captured.forEach((entry, index) => secrets.set(`${entry.kind} #${index} of pid ${entry.pid}`, entry.forms));

    // Every line either process wrote, as written (files), and as the stack parsed it.
    const lines: string[] = [];
    for (const file of await readdir(LOG_DIR)) {
      lines.push(...(await readFile(join(LOG_DIR, file), 'utf8')).split('\n').map((text) => `${file}: ${text}`));
    }
    // The whole session is in them: placement, the session's processes, the watch link, receipts.
    const said = new Set(stack.logs.map((line) => `${line.service}: ${line.msg}`));
    for (const expected of [
      'broker: player placed',
      'broker: interval verified',
      'broker: slot freed',
      'edge-node: session started',
      'edge-node: watch link minted',
      'edge-node: spectator joined',
      'edge-node: session ended',
    ])
      expect(said).toContain(expected);
    const leaks: string[] = [];
    for (const [name, forms] of secrets) {
      for (const form of forms.filter((value) => value.length >= 16)) {
        const line = lines.find((text) => text.includes(form));
        if (line) leaks.push(`${name} in ${line.slice(0, 300)}`);
      }
    }
    const pems = lines.filter((text) => text.includes('PRIVATE KEY'));
    console.log(
      `searched ${lines.length} log lines for ${[...secrets.values()].flat().length} secret forms ` +
        `(${[...secrets.keys()].length} secrets, ${captured.length} recorded inside the services)`,
    );
    expect(leaks).toEqual([]);
    expect(pems).toEqual([]);
  });
});
