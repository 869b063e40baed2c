import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctorCommand } from '../src/doctor/doctor-command.js';
import { checkKeystore } from '../src/doctor/keystore-check.js';
import { checkTitles } from '../src/doctor/title-checks.js';
import { formatCheck } from '../src/doctor/check-result.js';
import { EdgeConfigSchema } from '../src/config.js';
import { createKeystore } from '../src/identity/keystore.js';

const PASSWORD = 'doctor-test-password';

/** A broker stand-in whose clock is `offsetMs` off ours, as its Date header tells. */
async function brokerWithClock(offsetMs: number): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('date', new Date(Date.now() + offsetMs).toUTCString());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const manifest = (id: string, command: string): string =>
  JSON.stringify({ id, name: `Game ${id}`, command, resolution: { width: 640, height: 480 }, fps: 30 });

/** Runs `edge-node doctor` as a person would, and gives back what it printed and its exit code. */
async function doctor(env: NodeJS.ProcessEnv, argv: string[] = []): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runDoctorCommand({
    argv,
    stdout: { write: (chunk: string) => (text += chunk) },
    doctor: { env },
  });
  return { code, text };
}

describe('edge-node doctor on this machine (no GPU)', () => {
  let dir: string;
  let skewed: { url: string; server: Server };
  let accurate: { url: string; server: Server };
  let keystore: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-doctor-'));
    await writeFile(join(dir, 'good.json'), manifest('good-game', 'node'));
    // Beside the titles, not among them: every *.json in TITLES_DIR is a manifest.
    keystore = join(dir, 'keys', 'operator.json');
    await createKeystore(keystore, PASSWORD, { scryptN: 2 ** 10 });
    skewed = await brokerWithClock(-10_000);
    accurate = await brokerWithClock(0);
  });
  afterAll(async () => {
    skewed.server.close();
    accurate.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = async (overrides: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> => ({
    PATH: process.env.PATH,
    HOME: dir,
    EDGE_ID: 'edge-doctor-test',
    TITLES_DIR: dir,
    TITLES: 'good-game',
    EDGE_KEYSTORE: keystore,
    EDGE_KEYSTORE_PASSWORD: PASSWORD,
    SIGNALING_PORT: String(await freePort()),
    ...overrides,
  });

  it('passes a healthy CPU-only node with exit code 0, and says how it will render and encode', async () => {
    const { code, text } = await doctor(await env({ BROKER_URL: accurate.url }));
    const lines = text.split('\n');
    expect(code, text).toBe(0);
    const line = (prefix: string): string | undefined => lines.find((candidate) => candidate.startsWith(prefix));
    expect(line('ok    configuration:')).toBe(`ok    configuration: edge edge-doctor-test, broker ${accurate.url}`);
    expect(line('ok    ffmpeg encoders:')).toMatch(/^ok {4}ffmpeg encoders: libx264 is there/);
    expect(line('ok    video encoder (GStreamer):')).toMatch(
      /GStreamer 1\.\d+\.\d+ has every element x264 sessions use$/,
    );
    expect(line('ok    Xvfb:')).toMatch(/^ok {4}Xvfb: started :\d+ \(1280x720\) and stopped it in [\d.]+ s$/);
    expect(line('ok    mediasoup worker:')).toMatch(/worker started \(pid \d+\) and stopped/);
    expect(line('skip  Xorg + NVIDIA driver:')).toBe(
      'skip  Xorg + NVIDIA driver: only used with an NVIDIA GPU; this node renders on Xvfb',
    );
    expect(line('ok    session paths:')).toBe(
      'ok    session paths: renderPath=xvfb encodePath=libx264: each session renders in software (Xvfb), encodes with x264 on the CPU',
    );
    expect(line('ok    title good-game:')).toMatch(
      /^ok {4}title good-game: "Game good-game" runs \/\S+\/node at 640x480, 30 fps$/,
    );
    expect(line('ok    clock:')).toMatch(/^ok {4}clock: this machine's clock is 0\.\d s .*, within 2 s$/);
    // The default SIGNALING_HOST is loopback: fine for a test, not for players elsewhere.
    expect(line('warn  probe port:')).toMatch(/answers, but only on this machine/);
    expect(line('ok    operator keystore:')).toMatch(/unlocks: operator 0x[0-9a-fA-F]{40}$/);
    expect(lines.at(-2)).toMatch(/^0 failures, \d warnings?: this node can serve players/);
  });

  it('fails when a title cannot run, warns about a broker clock 10 s off, and exits 1', async () => {
    await writeFile(join(dir, 'missing.json'), manifest('missing-game', 'no-such-game-edgeplay'));
    await writeFile(join(dir, 'broken.json'), '{ "id": "broken", ');
    try {
      const { code, text } = await doctor(await env({ BROKER_URL: skewed.url, TITLES: '' }));
      expect(code, text).toBe(1);
      expect(text).toMatch(
        /^warn {2}clock: this machine's clock is (9\.[5-9]|10\.[0-5]) s ahead of the broker's \(±[\d.]+ s\): players' tickets/m,
      );
      expect(text).toContain('      fix: turn on time synchronisation (timedatectl set-ntp true, or install chrony)');
      expect(text).toMatch(/^fail {2}title broken\.json: not valid JSON: /m);
      expect(text).toContain(
        'fail  title missing-game: its command "no-such-game-edgeplay" is not installed (looked on PATH and in /usr/games)',
      );
      expect(text).toContain(
        `      fix: install the game (Debian: apt install no-such-game-edgeplay, if it is packaged) or correct "command" in ${join(dir, 'missing.json')}.`,
      );
      expect(text).toMatch(/^2 failures, \d warnings?: fix the failures above before this node serves players\.$/m);
    } finally {
      await rm(join(dir, 'missing.json'));
      await rm(join(dir, 'broken.json'));
    }
  });

  it('answers --json for machines: every check with its status, and the paths', async () => {
    const { code, text } = await doctor(await env({ BROKER_URL: accurate.url }), ['--json']);
    const report = JSON.parse(text) as {
      ok: boolean;
      renderPath: string;
      encodePath: string;
      checks: { id: string; status: string; fix?: string }[];
    };
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, renderPath: 'xvfb', encodePath: 'libx264' });
    expect(report.checks.map((check) => check.id)).toEqual([
      'config',
      'nvidia-driver',
      'nvenc',
      'encoders',
      'video-pipeline',
      'xvfb',
      'xorg-nvidia',
      'session-paths',
      'mediasoup',
      'title:good-game',
      'clock',
      'probe-port',
      'keystore',
    ]);
    for (const check of report.checks) {
      if (check.status === 'warn' || check.status === 'fail') expect(check.fix, check.id).toBeTruthy();
    }
  });
});

describe('title checks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-doctor-titles-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('names each bad manifest and what is wrong with it, and the ids TITLES asks for in vain', async () => {
    await writeFile(join(dir, 'a.json'), manifest('alpha', 'node'));
    await writeFile(join(dir, 'b.json'), manifest('alpha', 'node'));
    await writeFile(join(dir, 'c.json'), JSON.stringify({ id: 'Bad Id', name: 'x', command: 'node', fps: 500 }));
    await writeFile(join(dir, 'd.json'), manifest('relative', './game.sh'));
    await writeFile(join(dir, 'e.json'), manifest('spare', 'node'));
    const lines = (await checkTitles(dir, ['alpha', 'relative', 'gone'])).map(formatCheck);
    expect(lines[0]).toMatch(/^ok {4}title alpha: "Game alpha" runs /);
    expect(lines[1]).toBe(
      'fail  title alpha: b.json declares the id "alpha" that a.json already has\n      fix: give each title its own id.',
    );
    expect(lines[2]).toMatch(
      /^fail {2}title c\.json: the manifest is invalid \(id: lower-case letters, digits and dashes; .*resolution: /,
    );
    expect(lines[3]).toMatch(/^fail {2}title relative: its command "\.\/game\.sh" is a relative path, which fails/);
    expect(lines[4]).toBe('skip  title spare: not offered (TITLES lists alpha, relative, gone)');
    expect(lines[5]).toMatch(
      /^fail {2}title gone: TITLES asks for "gone" but no manifest in .* declares it, so start would refuse to run/,
    );
    expect(lines).toHaveLength(6);
  });

  it('fails on a TITLES_DIR that is missing or empty', async () => {
    expect((await checkTitles(join(dir, 'nope'), undefined)).map(formatCheck)[0]).toMatch(
      /^fail {2}titles: cannot read TITLES_DIR .*nope: ENOENT\n {6}fix: set TITLES_DIR/,
    );
    const empty = await mkdtemp(join(tmpdir(), 'edgeplay-doctor-empty-'));
    expect((await checkTitles(empty, undefined))[0]?.message).toMatch(
      /no title manifests \(\*\.json\) in .*: this node has nothing to offer/,
    );
    await rm(empty, { recursive: true });
  });
});

describe('keystore check', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-doctor-keystore-'));
    path = join(dir, 'operator.json');
    await createKeystore(path, PASSWORD, { scryptN: 2 ** 10 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const config = (overrides: Record<string, string>) => EdgeConfigSchema.parse({ keystorePath: path, ...overrides });

  it('says a wrong password is wrong, and how to give the right one', async () => {
    const line = formatCheck(await checkKeystore(config({ keystorePassword: 'not-the-password' }), {}));
    expect(line).toBe(
      `fail  operator keystore: wrong password for keystore ${path}\n      fix: set EDGE_KEYSTORE_PASSWORD (or EDGE_KEYSTORE_PASSWORD_FILE) to the password it was made with.`,
    );
  });

  it('only checks that the file is there when no password is configured', async () => {
    expect(formatCheck(await checkKeystore(config({}), {}))).toBe(
      `ok    operator keystore: ${path} is present (not unlocked: no EDGE_KEYSTORE_PASSWORD or EDGE_KEYSTORE_PASSWORD_FILE here, and start needs one)`,
    );
  });

  it('tells how to make one when there is none', async () => {
    const result = await checkKeystore(EdgeConfigSchema.parse({}), { HOME: dir });
    expect(formatCheck(result)).toBe(
      `fail  operator keystore: no keystore at ${join(dir, '.config', 'edgeplay', 'operator-keystore.json')}: the node cannot prove who runs it, so the broker will not take it\n      fix: make one with "edge-node keygen" (and back it up), or set EDGE_KEYSTORE to where yours is.`,
    );
  });
});

describe('doctor from the command line', () => {
  it('names a bad setting, skips what depends on the configuration, and exits 1', async () => {
    const { spawnSync } = await import('node:child_process');
    const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');
    const result = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor'], {
      env: {
        PATH: process.env.PATH,
        HOME: tmpdir(),
        SIGNALING_PORT: 'lots',
        MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^fail {2}configuration: .*SIGNALING_PORT/m);
    expect(result.stdout).toContain('skip  titles: not checked: the configuration is invalid (see above)');
    expect(result.stdout).toContain('skip  operator keystore: not checked: the configuration is invalid (see above)');
    // The machine checks still ran.
    expect(result.stdout).toMatch(/^ok {4}Xvfb: started/m);
  }, 90_000);
});
