import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError, StudioTitleManifestSchema, type StudioTitleManifest } from '@edgeplay/shared';
import type { StudioStore, StudioTitleRecord } from '../../src/studios/studio-store.js';

/** Two handles on one state: for Redis two connections, for memory the same instance. */
export interface StudioStoreHandles {
  store: StudioStore;
  peer: StudioStore;
}

const T0 = 1_750_000_000_000;

const hashOf = (key: string): string => createHash('sha256').update(key).digest('hex');

export function manifest(id: string, overrides: Record<string, unknown> = {}): StudioTitleManifest {
  return StudioTitleManifestSchema.parse({
    id,
    name: `Game ${id}`,
    command: 'chromium-bsu',
    args: ['--window'],
    resolution: { width: 800, height: 600 },
    fps: 60,
    ...overrides,
  });
}

const titleRecord = (studioId: string, id: string, at = T0): StudioTitleRecord => ({
  studioId,
  manifest: manifest(id),
  createdAt: at,
  updatedAt: at,
});

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return isEdgePlayError(error) ? error.code : error;
}

/** The behaviour every StudioStore must have; run it against each implementation. */
export function describeStudioStoreContract(kind: string, open: () => Promise<StudioStoreHandles>): void {
  describe(`StudioStore contract (${kind})`, () => {
    const opened: StudioStoreHandles[] = [];
    const handles = async (): Promise<StudioStoreHandles> => {
      const pair = await open();
      opened.push(pair);
      return pair;
    };

    afterEach(async () => {
      for (const { store, peer } of opened.splice(0)) await Promise.all([store.close(), peer.close()]);
    });

    it('keeps studios and finds a live key by its hash only, on every handle', async () => {
      const { store, peer } = await handles();
      const studioId = randomUUID();
      await store.createStudio({ studioId, name: 'Acme Games', createdAt: T0 });
      expect(await peer.getStudio(studioId)).toEqual({ studioId, name: 'Acme Games', createdAt: T0 });
      expect(await peer.getStudio(randomUUID())).toBeUndefined();

      await store.addApiKey({ keyId: 'aaaaaaaaaaaaaaaa', studioId, createdAt: T0 }, hashOf('key-one'));
      await store.addApiKey({ keyId: 'bbbbbbbbbbbbbbbb', studioId, createdAt: T0 + 1 }, hashOf('key-two'));
      expect(await peer.findApiKey(hashOf('key-one'))).toEqual({ keyId: 'aaaaaaaaaaaaaaaa', studioId, createdAt: T0 });
      expect(await peer.findApiKey(hashOf('not-a-key'))).toBeUndefined();
      expect((await peer.listApiKeys(studioId)).map((key) => key.keyId)).toEqual([
        'aaaaaaaaaaaaaaaa',
        'bbbbbbbbbbbbbbbb',
      ]);
    });

    it('revokes a key for its own studio only, once', async () => {
      const { store, peer } = await handles();
      const [acme, rival] = [randomUUID(), randomUUID()];
      await store.addApiKey({ keyId: 'aaaaaaaaaaaaaaaa', studioId: acme, createdAt: T0 }, hashOf('acme-key'));
      expect(await peer.revokeApiKey(rival, 'aaaaaaaaaaaaaaaa')).toBe(false);
      expect(await store.findApiKey(hashOf('acme-key'))).toBeDefined();
      expect(await peer.revokeApiKey(acme, 'aaaaaaaaaaaaaaaa')).toBe(true);
      expect(await store.findApiKey(hashOf('acme-key'))).toBeUndefined();
      expect(await store.listApiKeys(acme)).toEqual([]);
      expect(await peer.revokeApiKey(acme, 'aaaaaaaaaaaaaaaa')).toBe(false);
    });

    it('gives a title id to the first studio only, and lets only that studio change or delete it', async () => {
      const { store, peer } = await handles();
      const [acme, rival] = [randomUUID(), randomUUID()];
      expect(await store.createTitle(titleRecord(acme, 'space-race'))).toBe(true);
      expect(await peer.createTitle(titleRecord(rival, 'space-race', T0 + 5))).toBe(false);
      expect((await store.getTitle('space-race'))?.studioId).toBe(acme);

      const renamed = manifest('space-race', { name: 'Space Race II' });
      expect(await peer.updateTitle(rival, renamed, T0 + 10)).toBeUndefined();
      expect((await store.getTitle('space-race'))?.manifest.name).toBe('Game space-race');
      const updated = await peer.updateTitle(acme, renamed, T0 + 10);
      expect(updated).toMatchObject({ studioId: acme, createdAt: T0, updatedAt: T0 + 10 });
      expect((await store.getTitle('space-race'))?.manifest.name).toBe('Space Race II');
      expect(await store.updateTitle(acme, manifest('never-made'), T0)).toBeUndefined();

      expect(await peer.deleteTitle(rival, 'space-race')).toBe(false);
      expect(await store.getTitle('space-race')).toBeDefined();
      expect(await peer.deleteTitle(acme, 'space-race')).toBe(true);
      expect(await store.getTitle('space-race')).toBeUndefined();
      // Freed: another studio may use the id now.
      expect(await store.createTitle(titleRecord(rival, 'space-race'))).toBe(true);
    });

    it('lists one studio’s titles, or all, by id, with manifests as stored', async () => {
      const { store, peer } = await handles();
      const [acme, rival] = [randomUUID(), randomUUID()];
      const rich = manifest('zeta', {
        env: { SDL_RENDER_DRIVER: 'software' },
        args: [],
        cover: `/covers/${'ab'.repeat(32)}.png`,
        installCheck: { paths: ['/usr/share/games/zeta'], debianPackage: 'zeta-data' },
        minGpuClass: 'gpu',
        gamepadMap: { buttons: { '9': 'Enter' }, axes: {}, threshold: 0.5 },
      });
      await store.createTitle({ studioId: acme, manifest: rich, createdAt: T0, updatedAt: T0 });
      await store.createTitle(titleRecord(acme, 'alpha'));
      await store.createTitle(titleRecord(rival, 'mid'));
      expect((await peer.listTitles(acme)).map((title) => title.manifest.id)).toEqual(['alpha', 'zeta']);
      expect((await peer.listTitles()).map((title) => title.manifest.id)).toEqual(['alpha', 'mid', 'zeta']);
      expect((await peer.getTitle('zeta'))?.manifest).toEqual(rich);
      // Empty lists and maps survive the round trip as lists and maps.
      expect((await peer.getTitle('zeta'))?.manifest.args).toEqual([]);
    });

    it('keeps cover bytes exactly, under their content address', async () => {
      const { store, peer } = await handles();
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0xff, 0x00, 0x7f]);
      const coverId = `${createHash('sha256').update(bytes).digest('hex')}.png`;
      const studioId = randomUUID();
      await store.putCover({ coverId, contentType: 'image/png', bytes, studioId });
      await store.putCover({ coverId, contentType: 'image/png', bytes, studioId: randomUUID() });
      const read = await peer.getCover(coverId);
      expect(read?.bytes.equals(bytes)).toBe(true);
      expect(read).toMatchObject({ coverId, contentType: 'image/png', studioId });
      expect(await peer.getCover(`${'0'.repeat(64)}.jpg`)).toBeUndefined();
    });

    it('adds each ended session’s time to its title exactly once', async () => {
      const { store, peer } = await handles();
      await store.createTitle(titleRecord(randomUUID(), 'space-race'));
      const [first, second] = [randomUUID(), randomUUID()];
      expect(await store.playTotals('space-race')).toEqual({ sessions: 0, playMs: 0, running: 0 });
      expect(await store.playStarted(first, 'space-race', T0)).toBe(true);
      expect(await peer.playStarted(first, 'space-race', T0 + 5)).toBe(false);
      expect(await peer.playStarted(second, 'space-race', T0 + 1000)).toBe(true);
      expect(await store.playTotals('space-race')).toEqual({ sessions: 2, playMs: 0, running: 2 });

      const ends = await Promise.all([store.playEnded(first, T0 + 90_000), peer.playEnded(first, T0 + 95_000)]);
      expect(ends.filter(Boolean)).toHaveLength(1);
      // Two brokers race to end it: whichever arrives first counts, and only that one.
      const counted = ends[0] ? 90_000 : 95_000;
      expect(await peer.playTotals('space-race')).toEqual({ sessions: 2, playMs: counted, running: 1 });
      expect(await store.playEnded(second, T0 + 31_000)).toBe(true);
      expect(await store.playTotals('space-race')).toEqual({ sessions: 2, playMs: counted + 30_000, running: 0 });
      expect(await store.playEnded(randomUUID(), T0)).toBe(false);
    });

    it('drops a deleted title’s totals, and a session that outlives its title adds to nothing', async () => {
      const { store, peer } = await handles();
      const studioId = randomUUID();
      await store.createTitle(titleRecord(studioId, 'brief'));
      const session = randomUUID();
      await store.playStarted(session, 'brief', T0);
      await store.deleteTitle(studioId, 'brief');
      expect(await peer.playTotals('brief')).toEqual({ sessions: 0, playMs: 0, running: 0 });
      expect(await peer.playEnded(session, T0 + 60_000)).toBe(true);
      expect(await peer.playTotals('brief')).toEqual({ sessions: 0, playMs: 0, running: 0 });
    });

    it('refuses malformed ids before they reach storage', async () => {
      const { store } = await handles();
      expect(await codeOf(store.getStudio('../../etc'))).toBe(ErrorCode.INVALID_MESSAGE);
      expect(await codeOf(store.findApiKey('x:y'))).toBe(ErrorCode.INVALID_MESSAGE);
      expect(await codeOf(store.getTitle('a:b'))).toBe(ErrorCode.INVALID_MESSAGE);
      expect(await codeOf(store.getCover('x.gif'))).toBe(ErrorCode.INVALID_MESSAGE);
      expect(await codeOf(store.playStarted('not-a-uuid', 'space-race', T0))).toBe(ErrorCode.INVALID_MESSAGE);
      expect(await codeOf(store.createTitle({ ...titleRecord(randomUUID(), 'ok'), createdAt: -1 }))).toBe(
        ErrorCode.INVALID_MESSAGE,
      );
    });
  });
}
