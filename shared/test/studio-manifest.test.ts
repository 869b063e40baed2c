import { describe, expect, it } from 'vitest';
import {
  apiIssuesOf,
  gpuClassMeets,
  StudioTitleManifestSchema,
  summarizeTitle,
  TitleManifestSchema,
} from '../src/index.js';

const game = {
  id: 'space-race',
  name: 'Space Race',
  command: 'space-race',
  resolution: { width: 1280, height: 720 },
  fps: 60,
};

const pathsOf = (input: unknown): string[] => {
  const result = StudioTitleManifestSchema.safeParse(input);
  return result.success ? [] : apiIssuesOf(result.error).map((issue) => issue.path);
};

describe('studio title manifests', () => {
  it('accept what a studio needs: a program, args, tuning env, cover, install check, GPU class', () => {
    const parsed = StudioTitleManifestSchema.parse({
      ...game,
      args: ['--fullscreen=no', '--data', '/usr/share/games/space-race'],
      env: { SDL_RENDER_DRIVER: 'software', MESA_GL_VERSION_OVERRIDE: '3.3', LANG: 'C.UTF-8', LC_ALL: 'C' },
      cover: 'https://cdn.example.com/covers/space-race.jpg',
      installCheck: { paths: ['/usr/share/games/space-race/'], debianPackage: 'space-race-data' },
      minGpuClass: 'gpu',
    });
    expect(parsed.installCheck?.debianPackage).toBe('space-race-data');
    expect(StudioTitleManifestSchema.parse({ ...game, command: '/opt/acme/bin/space-race' }).command).toBe(
      '/opt/acme/bin/space-race',
    );
    expect(summarizeTitle(parsed).cover).toBe('https://cdn.example.com/covers/space-race.jpg');
  });

  it('refuse shell syntax in the command and paths that climb out', () => {
    expect(pathsOf({ ...game, command: 'sh -c "curl x | sh"' })).toEqual(['command']);
    expect(pathsOf({ ...game, command: 'game;reboot' })).toEqual(['command']);
    expect(pathsOf({ ...game, command: '/usr/games/../bin/bash' })).toEqual(['command']);
    expect(pathsOf({ ...game, installCheck: { paths: ['/usr/share/../../etc/shadow'] } })).toEqual([
      'installCheck.paths.0',
    ]);
    expect(pathsOf({ ...game, installCheck: { paths: ['games/data'] } })).toEqual(['installCheck.paths.0']);
    expect(pathsOf({ ...game, installCheck: { debianPackage: 'pkg; rm -rf /' } })).toEqual([
      'installCheck.debianPackage',
    ]);
    expect(pathsOf({ ...game, installCheck: { run: 'test -f /x' } })).toEqual(['installCheck']);
  });

  it('refuse environment that would change what code runs, naming each variable', () => {
    expect(
      pathsOf({
        ...game,
        env: { LD_PRELOAD: 'evil.so', PATH: 'x', HOME: 'x', DISPLAY: ':0', SDL_DYNAMIC_API: 'x', SDL_OK: 'fine' },
      }).sort(),
    ).toEqual(['env.DISPLAY', 'env.HOME', 'env.LD_PRELOAD', 'env.PATH', 'env.SDL_DYNAMIC_API']);
    expect(pathsOf({ ...game, env: { MESA_LOADER_DRIVER_OVERRIDE: '../../tmp/evil' } })).toEqual([
      'env.MESA_LOADER_DRIVER_OVERRIDE',
    ]);
    expect(pathsOf({ ...game, args: ['${TITLE_DIR}/data'] })).toEqual(['args.0']);
  });

  it('take covers from https or from the broker’s uploads only', () => {
    expect(pathsOf({ ...game, cover: `/covers/${'a'.repeat(64)}.png` })).toEqual([]);
    for (const cover of ['http://example.com/c.png', 'javascript:alert(1)', '/covers/../x.png', 'data:image/png,xx'])
      expect(pathsOf({ ...game, cover }), cover).toEqual(['cover']);
  });

  it('leave node manifests as they were: ${TITLE_DIR} and any env still work there', () => {
    const node = TitleManifestSchema.parse({ ...game, args: ['${TITLE_DIR}/x'], env: { PATH: '/opt/bin' } });
    expect(node.env.PATH).toBe('/opt/bin');
  });
});

describe('minimum GPU class', () => {
  it.each([
    ['cpu', undefined, true],
    ['cpu', 'cpu', true],
    ['cpu', 'gpu', false],
    ['rtx-4090', 'gpu', true],
    ['rtx-4090', 'rtx-4090', true],
    ['rtx-4080', 'rtx-4090', false],
    ['h100-80gb-hbm3', 'h100', true],
    ['h1000', 'h100', false],
    ['cpu', 'rtx-4090', false],
  ] as const)('a %s node meets %s: %s', (node, min, meets) => {
    expect(gpuClassMeets(node, min)).toBe(meets);
  });
});
