import { randomUUID } from 'node:crypto';
import express, { Router, type Express } from 'express';
import type { Logger } from 'pino';
import {
  ApiKeyIdSchema,
  ErrorCode,
  makeError,
  StudioCreateRequestSchema,
  StudioIdSchema,
  type TitleSummary,
} from '@edgeplay/shared';
import { apiErrorHandler, parseBody } from './api-errors.js';
import { newApiKey } from './api-keys.js';
import { MAX_COVER_BYTES, sniffCover } from './cover-image.js';
import { requireAdmin, requireStudio, studioIdOf, studioOf } from './studio-auth.js';
import type { StudioStore } from './studio-store.js';
import { titleRoutes } from './title-routes.js';

/** A manifest is a few KB; 64 KiB leaves room for long descriptions and big input maps. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

export interface StudioRouteDeps {
  store: StudioStore;
  /** ADMIN_TOKEN: creates studio accounts; undefined turns the admin routes off. */
  adminToken: string | undefined;
  /** What online nodes offer now, on every broker. */
  catalog: { list(): Promise<TitleSummary[]> };
  logger: Logger;
  clock?: () => number;
  /** Told after a studio registered, changed or removed a title (the broker nudges the nodes). */
  onTitlesChanged?: () => void;
}

/**
 * The studio API (docs/protocol.md, "Studio API"): admin-created studio accounts, API
 * keys, titles, cover uploads, and the list of studio titles nodes fetch. Mounted before
 * the web client's static files; every answer is JSON `{ ok, … }`.
 */
export function attachStudioRoutes(app: Express, deps: StudioRouteDeps): void {
  const { store, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const json = express.json({ limit: MAX_MANIFEST_BYTES, strict: true });
  const studio = requireStudio(store);

  const api = Router();
  api.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      // Method, path and outcome only: never headers (the API key) or bodies. Reads that
      // succeed (nodes poll the studio titles) at debug; changes and refusals at info.
      const level = req.method === 'GET' && res.statusCode < 400 ? 'debug' : 'info';
      logger[level](
        {
          method: req.method,
          path: req.baseUrl + req.path,
          status: res.statusCode,
          studioId: studioIdOf(req),
          ms: Math.round(performance.now() - started),
        },
        'studio api',
      );
    });
    res.setHeader('cache-control', 'no-store');
    next();
  });

  const issueKey = async (studioId: string): Promise<{ apiKey: string; key: { keyId: string; createdAt: number } }> => {
    const { apiKey, keyId, keyHash } = newApiKey();
    const createdAt = clock();
    await store.addApiKey({ keyId, studioId, createdAt }, keyHash);
    return { apiKey, key: { keyId, createdAt } };
  };

  api.post('/admin/studios', requireAdmin(deps.adminToken), json, async (req, res) => {
    const { name } = parseBody(StudioCreateRequestSchema, req.body, 'studio');
    const record = { studioId: randomUUID(), name, createdAt: clock() };
    await store.createStudio(record);
    const issued = await issueKey(record.studioId);
    logger.info({ studioId: record.studioId, keyId: issued.key.keyId }, 'studio created');
    res.status(201).json({ ok: true, studio: presentStudio(record), ...issued });
  });

  // For a studio that lost every key: the admin issues a new one.
  api.post('/admin/studios/:studioId/keys', requireAdmin(deps.adminToken), async (req, res) => {
    const studioId = StudioIdSchema.safeParse(req.params.studioId);
    if (!studioId.success || !(await store.getStudio(studioId.data))) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'no such studio');
    }
    res.status(201).json({ ok: true, ...(await issueKey(studioId.data)) });
  });

  api.get('/studio', studio, async (req, res) => {
    const { studio: record, keyId } = studioOf(req);
    const keys = await store.listApiKeys(record.studioId);
    res.json({
      ok: true,
      studio: presentStudio(record),
      keys: keys.map((key) => ({ keyId: key.keyId, createdAt: key.createdAt, current: key.keyId === keyId })),
    });
  });

  // Rotation: make a new key, move clients to it, revoke the old one.
  api.post('/studio/keys', studio, async (req, res) => {
    const { studio: record } = studioOf(req);
    const issued = await issueKey(record.studioId);
    logger.info({ studioId: record.studioId, keyId: issued.key.keyId }, 'studio api key issued');
    res.status(201).json({ ok: true, ...issued });
  });

  api.delete('/studio/keys/:keyId', studio, async (req, res) => {
    const { studio: record } = studioOf(req);
    const keyId = ApiKeyIdSchema.safeParse(req.params.keyId);
    if (!keyId.success || !(await store.revokeApiKey(record.studioId, keyId.data))) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'you have no live key with that id');
    }
    logger.info({ studioId: record.studioId, keyId: keyId.data }, 'studio api key revoked');
    res.json({ ok: true });
  });

  api.use(
    '/studio/titles',
    studio,
    json,
    titleRoutes({ store, catalog: deps.catalog, clock, onChanged: deps.onTitlesChanged ?? (() => undefined) }),
  );

  // The image's bytes decide what it is; the content type the client sent does not matter.
  api.post('/studio/covers', studio, express.raw({ type: () => true, limit: MAX_COVER_BYTES }), async (req, res) => {
    const { studio: record } = studioOf(req);
    const bytes: unknown = req.body;
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
      throw makeError(ErrorCode.INVALID_MESSAGE, 'send the image bytes as the request body (PNG or JPEG)');
    }
    const cover = sniffCover(bytes);
    await store.putCover({ coverId: cover.coverId, contentType: cover.contentType, bytes, studioId: record.studioId });
    res.status(201).json({ ok: true, cover: `/covers/${cover.coverId}`, width: cover.width, height: cover.height });
  });

  // What nodes fetch to decide which studio titles they can run. Public: every operator
  // runs these manifests anyway, so they hold nothing secret (the docs tell studios so).
  api.get('/studio-titles', async (_req, res) => {
    const titles = await store.listTitles();
    const names = new Map<string, string>();
    for (const id of new Set(titles.map((title) => title.studioId))) {
      names.set(id, (await store.getStudio(id))?.name ?? 'unknown studio');
    }
    res.json({
      ok: true,
      titles: titles.map((title) => ({
        studio: { id: title.studioId, name: names.get(title.studioId) ?? 'unknown studio' },
        manifest: title.manifest,
      })),
    });
  });

  api.use((_req, _res, next) => next(makeError(ErrorCode.INVALID_MESSAGE, 'no such route')));
  api.use(apiErrorHandler(logger));
  app.use('/api', api);

  app.get('/covers/:coverId', async (req, res, next) => {
    try {
      const cover = /^[0-9a-f]{64}\.(png|jpg)$/.test(req.params.coverId)
        ? await store.getCover(req.params.coverId)
        : undefined;
      if (!cover) {
        res.status(404).json({ ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'no such cover' });
        return;
      }
      res.set({
        'content-type': cover.contentType,
        // Content-addressed: the bytes under a name never change.
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
      });
      res.send(cover.bytes);
    } catch (error) {
      next(error);
    }
  });
}

function presentStudio(record: { studioId: string; name: string; createdAt: number }) {
  return { id: record.studioId, name: record.name, createdAt: record.createdAt };
}
