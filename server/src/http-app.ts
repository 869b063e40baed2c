import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { ErrorCode } from '@edgeplay/shared';
import type { EdgeTitles } from './catalog/edge-titles.js';
import { attachStudioRoutes, type StudioRouteDeps } from './studios/studio-routes.js';
import { attachPayoutRoutes, type PayoutRoutesDeps } from './payouts/payout-routes.js';

export interface HttpAppDeps {
  clientDir: string;
  titles: EdgeTitles;
  /** The studio API and uploaded covers (server/src/studios/); absent: not served. */
  studios?: StudioRouteDeps;
  /** The payout REST routes (earnings, admin); they answer CHAIN_UNAVAILABLE without a chain. */
  payoutRoutes?: PayoutRoutesDeps;
}

export interface HttpApp extends Express {
  /** Serves these metrics on /metrics (Prometheus text format) from now on. */
  setMetrics(registry: Registry): void;
}

/** The broker's HTTP side: health, Prometheus metrics, and the built web client. */
export function createHttpApp({ clientDir, titles, studios, payoutRoutes }: HttpAppDeps): HttpApp {
  const app = express() as HttpApp;
  let metrics: Registry | undefined;
  app.setMetrics = (registry) => {
    metrics = registry;
  };
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, titles: titles.list().length });
  });
  app.get('/metrics', (_req, res, next) => {
    if (!metrics) return next();
    metrics.metrics().then(
      (text) => res.type(metrics?.contentType ?? 'text/plain').send(text),
      (error: unknown) => next(error),
    );
  });
  // Payout routes first: the studio router answers every other /api path with 404.
  if (payoutRoutes) attachPayoutRoutes(app, payoutRoutes);
  if (studios) attachStudioRoutes(app, studios);
  if (existsSync(join(clientDir, 'index.html'))) {
    app.use(express.static(clientDir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheForHtml }));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text').send('The web client is not built. Run: npm run build:client');
    });
  }
  app.use((_req, res) => {
    res.status(404).json({ ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'no such route' });
  });
  return app;
}

function noCacheForHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('cache-control', 'no-cache');
}
