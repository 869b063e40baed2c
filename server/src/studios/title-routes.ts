import { Router } from 'express';
import {
  ErrorCode,
  makeError,
  StudioTitleManifestSchema,
  TitleIdSchema,
  UPLOADED_COVER_PATTERN,
  type StudioTitle,
  type StudioTitleManifest,
  type TitleSummary,
} from '@edgeplay/shared';
import { invalidFields, parseBody } from './api-errors.js';
import { studioOf } from './studio-auth.js';
import type { StudioStore, StudioTitleRecord } from './studio-store.js';

export interface TitleRouteDeps {
  store: StudioStore;
  /** What online nodes offer now, on every broker: for `offered`, and to keep ids clear of node manifests. */
  catalog: { list(): Promise<TitleSummary[]> };
  clock: () => number;
  /** After a title was created, replaced or deleted. */
  onChanged: () => void;
}

/** A title's play time as the API shows it. */
export function playOf(totals: { sessions: number; playMs: number; running: number }): StudioTitle['play'] {
  const playSeconds = Math.floor(totals.playMs / 1000);
  return {
    sessions: totals.sessions,
    playSeconds,
    playMinutes: Math.round(playSeconds / 6) / 10,
    running: totals.running,
  };
}

/** The authenticated studio's titles: list, register, read, replace, delete. */
export function titleRoutes({ store, catalog, clock, onChanged }: TitleRouteDeps): Router {
  const router = Router();

  const present = async (record: StudioTitleRecord, offered: ReadonlySet<string>): Promise<StudioTitle> => ({
    manifest: record.manifest,
    studioId: record.studioId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    play: playOf(await store.playTotals(record.manifest.id)),
    offered: offered.has(record.manifest.id),
  });
  const offeredIds = async (): Promise<Set<string>> => new Set((await catalog.list()).map((title) => title.id));

  /** A manifest naming an uploaded cover must name one that exists. */
  const checkCover = async (manifest: StudioTitleManifest): Promise<void> => {
    const cover = manifest.cover;
    if (cover === undefined || !UPLOADED_COVER_PATTERN.test(cover)) return;
    if (!(await store.getCover(cover.slice('/covers/'.length)))) {
      throw invalidFields('title manifest', [
        { path: 'cover', message: 'no cover was uploaded under this name; POST it to /api/studio/covers first' },
      ]);
    }
  };

  /** The studio's own title, or TITLE_NOT_FOUND — also for another studio's (nothing to tell apart). */
  const ownTitle = async (studioId: string, rawId: string): Promise<StudioTitleRecord> => {
    const titleId = TitleIdSchema.safeParse(rawId);
    const record = titleId.success ? await store.getTitle(titleId.data) : undefined;
    if (!record || record.studioId !== studioId) {
      throw makeError(ErrorCode.TITLE_NOT_FOUND, `you have no title "${rawId.slice(0, 48)}"`);
    }
    return record;
  };

  router.get('/', async (req, res) => {
    const { studio } = studioOf(req);
    const [records, offered] = await Promise.all([store.listTitles(studio.studioId), offeredIds()]);
    res.json({ ok: true, titles: await Promise.all(records.map((record) => present(record, offered))) });
  });

  router.post('/', async (req, res) => {
    const { studio } = studioOf(req);
    const manifest = parseBody(StudioTitleManifestSchema, req.body, 'title manifest');
    await checkCover(manifest);
    const listed = await catalog.list();
    if (listed.some((title) => title.id === manifest.id && title.studio?.id !== studio.studioId)) {
      throw makeError(ErrorCode.TITLE_ID_TAKEN, `"${manifest.id}" is already a title on this network; pick another id`);
    }
    const now = clock();
    const record: StudioTitleRecord = { studioId: studio.studioId, manifest, createdAt: now, updatedAt: now };
    if (!(await store.createTitle(record))) {
      const existing = await store.getTitle(manifest.id);
      throw existing?.studioId === studio.studioId
        ? makeError(
            ErrorCode.TITLE_ID_TAKEN,
            `you already registered "${manifest.id}"; PUT /api/studio/titles/${manifest.id} changes it`,
          )
        : makeError(ErrorCode.TITLE_ID_TAKEN, `"${manifest.id}" is already a title on this network; pick another id`);
    }
    onChanged();
    res.status(201).json({ ok: true, title: await present(record, new Set(listed.map((title) => title.id))) });
  });

  router.get('/:titleId', async (req, res) => {
    const { studio } = studioOf(req);
    const record = await ownTitle(studio.studioId, req.params.titleId);
    res.json({ ok: true, title: await present(record, await offeredIds()) });
  });

  router.put('/:titleId', async (req, res) => {
    const { studio } = studioOf(req);
    await ownTitle(studio.studioId, req.params.titleId);
    const manifest = parseBody(StudioTitleManifestSchema, req.body, 'title manifest');
    if (manifest.id !== req.params.titleId) {
      throw invalidFields('title manifest', [
        { path: 'id', message: `a title keeps its id ("${req.params.titleId}")` },
      ]);
    }
    await checkCover(manifest);
    const updated = await store.updateTitle(studio.studioId, manifest, clock());
    if (!updated) throw makeError(ErrorCode.TITLE_NOT_FOUND, `you have no title "${manifest.id}"`);
    onChanged();
    res.json({ ok: true, title: await present(updated, await offeredIds()) });
  });

  router.delete('/:titleId', async (req, res) => {
    const { studio } = studioOf(req);
    await ownTitle(studio.studioId, req.params.titleId);
    if (!(await store.deleteTitle(studio.studioId, req.params.titleId))) {
      throw makeError(ErrorCode.TITLE_NOT_FOUND, `you have no title "${req.params.titleId}"`);
    }
    onChanged();
    res.json({ ok: true });
  });

  return router;
}
