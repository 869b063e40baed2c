import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioTitleManifestSchema, type StudioTitleManifest } from '@edgeplay/shared';
import { checkStudioTitle, debianPackageInstalled } from '../src/titles/install-check.js';
import {
  commandCandidates,
  DEFAULT_STUDIO_COMMAND_DIRS,
  isInterpreter,
  type StudioTitlePolicy,
} from '../src/titles/studio-title-policy.js';
import { StudioTitleSync } from '../src/titles/studio-title-sync.js';
import type { InstalledTitle } from '../src/titles/title-catalog.js';

const STUDIO = { id: '6f1c1b9e-7a53-4c55-9d7e-3f4f7f1b2a10', name: 'Acme Games' };

const manifest = (overrides: Record<string, unknown> = {}): StudioTitleManifest =>
  StudioTitleManifestSchema.parse({
    id: 'space-race',
    name: 'Space Race',
    command: 'game',
    resolution: { width: 800, height: 600 },
    fps: 60,
    ...overrides,
  });

const DEFAULT_POLICY: StudioTitlePolicy = {
  mode: 'allow-installed',
  commandDirs: DEFAULT_STUDIO_COMMAND_DIRS,
  commands: [],
};

describe('studio title policy', () => {
  it('looks a program name up only in the allowed folders, and takes absolute paths only inside them', () => {
    const policy: StudioTitlePolicy = {
      mode: 'allow-installed',
      commandDirs: ['/usr/games', '/opt/games/'],
      commands: ['/opt/acme/bin/run'],
    };
    expect(commandCandidates('supertux2', policy)).toEqual(['/usr/games/supertux2', '/opt/games/supertux2']);
    expect(commandCandidates('run', policy)).toEqual(['/usr/games/run', '/opt/games/run', '/opt/acme/bin/run']);
    expect(commandCandidates('/usr/games/supertux2', policy)).toEqual(['/usr/games/supertux2']);
    expect(commandCandidates('/opt/acme/bin/run', policy)).toEqual(['/opt/acme/bin/run']);
    expect(commandCandidates('/usr/bin/bash', policy)).toEqual([]);
    expect(commandCandidates('/usr/games/../bin/bash', policy)).toEqual([]);
    expect(commandCandidates('/usr/games/sub/game', policy)).toEqual([]);
  });

  it('knows shells and interpreters by name, whatever their version suffix', () => {
    for (const path of [
      '/bin/sh',
      '/usr/bin/bash',
      '/usr/bin/python3.11',
      '/usr/bin/perl',
      '/usr/bin/env',
      '/usr/bin/node',
    ])
      expect(isInterpreter(path), path).toBe(true);
    for (const path of ['/usr/games/supertux2', '/usr/games/chromium-bsu', '/usr/games/shooter'])
      expect(isInterpreter(path), path).toBe(false);
  });
});

describe('install check on this machine', () => {
  let dir: string;
  let policy: StudioTitlePolicy;
  const context = (overrides: Partial<StudioTitlePolicy> = {}, gpuClass = 'cpu') => ({
    policy: { ...policy, ...overrides },
    gpuClass,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-studio-check-'));
    await writeFile(join(dir, 'game'), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'game'), 0o755);
    await writeFile(join(dir, 'readme'), 'not a program');
    await mkdir(join(dir, 'data'));
    await symlink('/usr/bin/bash', join(dir, 'launcher'));
    policy = { mode: 'allow-installed', commandDirs: [dir], commands: [] };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('offers an installed program in an allowed folder, as the path it found', async () => {
    expect(await checkStudioTitle(manifest(), context())).toEqual({ ok: true, commandPath: join(dir, 'game') });
    expect(await checkStudioTitle(manifest({ command: join(dir, 'game') }), context())).toEqual({
      ok: true,
      commandPath: join(dir, 'game'),
    });
  });

  it('refuses a program that is missing, not executable, a folder, or outside the allowed folders', async () => {
    const reasonFor = async (command: string) => {
      const verdict = await checkStudioTitle(manifest({ command }), context());
      return verdict.ok ? 'offered' : verdict.reason;
    };
    expect(await reasonFor('missing-game')).toMatch(/not installed/);
    expect(await reasonFor('readme')).toMatch(/not installed/);
    expect(await reasonFor('data')).toMatch(/not installed/);
    expect(await reasonFor('/usr/bin/bash')).toMatch(/outside the folders/);
    expect(await reasonFor('bash')).toMatch(/not installed/);
  });

  it('refuses a shell even in an allowed folder or behind a symlink, unless the operator lists it', async () => {
    const viaLink = await checkStudioTitle(manifest({ command: 'launcher' }), context());
    expect(viaLink).toMatchObject({ ok: false, reason: expect.stringMatching(/shell or interpreter/) });
    const inUsrBin = await checkStudioTitle(manifest({ command: 'bash' }), context({ commandDirs: ['/usr/bin'] }));
    expect(inUsrBin).toMatchObject({ ok: false, reason: expect.stringMatching(/shell or interpreter/) });
    const listed = await checkStudioTitle(
      manifest({ command: 'launcher' }),
      context({ commands: [join(dir, 'launcher')] }),
    );
    expect(listed).toEqual({ ok: true, commandPath: join(dir, 'launcher') });
  });

  it('refuses everything when the operator turned studio titles off', async () => {
    expect(await checkStudioTitle(manifest(), context({ mode: 'off' }))).toMatchObject({ ok: false });
  });

  it('checks the install check’s paths and the minimum GPU class', async () => {
    const withPaths = (paths: string[]) => manifest({ installCheck: { paths } });
    expect((await checkStudioTitle(withPaths([join(dir, 'data'), join(dir, 'readme')]), context())).ok).toBe(true);
    expect(await checkStudioTitle(withPaths([join(dir, 'data'), join(dir, 'levels')]), context())).toEqual({
      ok: false,
      reason: `install check: ${join(dir, 'levels')} does not exist`,
    });
    const needsGpu = manifest({ minGpuClass: 'gpu' });
    expect(await checkStudioTitle(needsGpu, context({}, 'cpu'))).toMatchObject({ ok: false });
    expect((await checkStudioTitle(needsGpu, context({}, 'rtx-4090'))).ok).toBe(true);
    const needsH100 = manifest({ minGpuClass: 'h100' });
    expect((await checkStudioTitle(needsH100, context({}, 'h100-80gb-hbm3'))).ok).toBe(true);
    expect((await checkStudioTitle(needsH100, context({}, 'h100x'))).ok).toBe(false);
    expect((await checkStudioTitle(needsH100, context({}, 'rtx-4090'))).ok).toBe(false);
  });

  it('asks the real dpkg whether the Debian package is installed', async () => {
    expect(await debianPackageInstalled('chromium-bsu')).toBe(true);
    expect(await debianPackageInstalled('edgeplay-no-such-package')).toBe(false);
    const verdict = await checkStudioTitle(
      manifest({ installCheck: { debianPackage: 'edgeplay-no-such-package' } }),
      context(),
    );
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/edgeplay-no-such-package/) });
  });

  it('offers the sample games as studio titles with the default policy, and never a shell', async () => {
    const bsu = manifest({ command: 'chromium-bsu', installCheck: { debianPackage: 'chromium-bsu' } });
    expect(await checkStudioTitle(bsu, { policy: DEFAULT_POLICY, gpuClass: 'cpu' })).toEqual({
      ok: true,
      commandPath: '/usr/games/chromium-bsu',
    });
    for (const command of ['bash', 'sh', 'python3', '/usr/bin/bash', '/bin/sh']) {
      const verdict = await checkStudioTitle(manifest({ command }), { policy: DEFAULT_POLICY, gpuClass: 'cpu' });
      expect(verdict.ok, command).toBe(false);
    }
  });
});

describe('studio title sync', () => {
  let server: Server;
  let url: string;
  let answer: unknown;
  let dir: string;
  let requests = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-studio-sync-'));
    await writeFile(join(dir, 'game'), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'game'), 0o755);
    // Stands in for the broker's GET /api/studio-titles.
    server = createServer((req, res) => {
      requests += 1;
      if (req.url !== '/api/studio-titles' || answer === undefined) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('offers the titles that pass here, tells the node when that changes, and keeps them if the broker is away', async () => {
    const entry = (overrides: Record<string, unknown>) => ({
      studio: STUDIO,
      manifest: { ...manifest(), ...overrides },
    });
    answer = {
      ok: true,
      titles: [
        entry({ id: 'space-race', cover: `/covers/${'ab'.repeat(32)}.png` }),
        entry({ id: 'not-installed', command: 'missing-game' }),
        entry({ id: 'node-own', name: 'Collides with a node manifest' }),
        entry({ id: 'bad-env', env: { LD_PRELOAD: 'x.so' } }),
        entry({ id: 'bad-pad', gamepadMap: { buttons: { '0': 'NotAKey' } } }),
      ],
    };
    const changes: ReadonlyMap<string, InstalledTitle>[] = [];
    const sync = new StudioTitleSync({
      brokerUrl: url,
      policy: { mode: 'allow-installed', commandDirs: [dir], commands: [] },
      gpuClass: 'cpu',
      localIds: new Set(['node-own']),
      refreshMs: 60_000,
      logger: pino({ level: 'silent' }),
      onChange: (titles) => changes.push(titles),
    });
    try {
      await sync.start();
      expect([...sync.current().keys()]).toEqual(['space-race']);
      const offered = sync.current().get('space-race');
      expect(offered?.manifest.command).toBe(join(dir, 'game'));
      expect(offered?.studio).toEqual(STUDIO);
      expect(changes).toHaveLength(1);

      await sync.refresh();
      expect(changes).toHaveLength(1);

      answer = { ok: true, titles: [entry({ id: 'space-race', name: 'Space Race 2' })] };
      await sync.refresh();
      expect(changes).toHaveLength(2);
      expect(sync.current().get('space-race')?.manifest.name).toBe('Space Race 2');

      answer = undefined;
      await sync.refresh();
      expect([...sync.current().keys()]).toEqual(['space-race']);
      expect(changes).toHaveLength(2);

      answer = { ok: true, titles: [] };
      await sync.refresh();
      expect(sync.current().size).toBe(0);
      expect(changes).toHaveLength(3);
    } finally {
      sync.close();
    }
  });

  it('fetches nothing when the operator turned studio titles off', async () => {
    answer = { ok: true, titles: [{ studio: STUDIO, manifest: manifest({ command: join(dir, 'game') }) }] };
    const sync = new StudioTitleSync({
      brokerUrl: url,
      policy: { mode: 'off', commandDirs: [dir], commands: [] },
      gpuClass: 'cpu',
      localIds: new Set(),
      refreshMs: 60_000,
      logger: pino({ level: 'silent' }),
      onChange: () => undefined,
    });
    const before = requests;
    await sync.start();
    await sync.refresh();
    expect(sync.current().size).toBe(0);
    expect(requests).toBe(before);
    sync.close();
  });
});
