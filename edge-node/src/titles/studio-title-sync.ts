import type { Logger } from 'pino';
import { apiIssuesOf, StudioCatalogAnswerSchema, StudioTitleManifestSchema } from '@edgeplay/shared';
import { checkStudioTitle, type InstallCheckContext, type InstallVerdict } from './install-check.js';
import { checkGamepadMap, type InstalledTitle } from './title-catalog.js';

const FETCH_TIMEOUT_MS = 5000;
/** Nodes told of a change fetch within this long of each other. */
const NUDGE_SPREAD_MS = 2000;

export interface StudioTitleSyncOptions extends InstallCheckContext {
  brokerUrl: string;
  /** Ids of this node's own manifests: those win over a studio title with the same id. */
  localIds: ReadonlySet<string>;
  /** How often to fetch the studio catalog again (new titles, changed manifests, new installs). */
  refreshMs: number;
  logger: Logger;
  /** Called after a refresh that changed which studio titles (or which manifests) this node offers. */
  onChange: (titles: ReadonlyMap<string, InstalledTitle>) => void;
}

/**
 * The studio titles this node offers: fetched from the broker (`GET /api/studio-titles`),
 * each checked here (studio-title-policy.ts, install-check.ts), and offered only when it
 * passes. The command of an offered title is replaced by the program it was found as, so
 * what runs is exactly what was checked. A fetch that fails keeps the last good list.
 */
export class StudioTitleSync {
  private titles = new Map<string, InstalledTitle>();
  private verdicts = new Map<string, InstallVerdict>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: StudioTitleSyncOptions) {
    this.log = options.logger.child({ part: 'studio-titles' });
  }

  /** The studio titles offered now. */
  current(): ReadonlyMap<string, InstalledTitle> {
    return this.titles;
  }

  /** Fetches and checks now, then every `refreshMs`. */
  async start(): Promise<void> {
    if (this.options.policy.mode === 'off') {
      this.log.info('studio titles are off on this node (STUDIO_TITLES=off)');
      return;
    }
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  /**
   * Refreshes within `NUDGE_SPREAD_MS`, at a random instant: when the broker tells every
   * node at once that a studio changed its titles, they do not all fetch in the same instant.
   */
  refreshSoon(): void {
    if (this.soon) return;
    this.soon = setTimeout(
      () => {
        this.soon = undefined;
        void this.refresh();
      },
      Math.floor(Math.random() * NUDGE_SPREAD_MS),
    );
    this.soon.unref();
  }

  /** One fetch-and-check round; overlapping calls share the round in progress. */
  refresh(): Promise<void> {
    if (this.options.policy.mode === 'off') return Promise.resolve();
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    let entries;
    try {
      const url = new URL('/api/studio-titles', this.options.brokerUrl);
      const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      entries = StudioCatalogAnswerSchema.parse(await response.json()).titles;
    } catch (error) {
      this.log.warn({ error: String(error) }, 'could not fetch the studio titles; keeping the last list');
      return;
    }
    const next = new Map<string, InstalledTitle>();
    const verdicts = new Map<string, InstallVerdict>();
    for (const entry of entries) {
      const { verdict, title, id } = await this.check(entry.manifest, entry.studio);
      if (id === undefined) continue;
      verdicts.set(id, verdict);
      if (title) next.set(id, title);
    }
    this.report(verdicts);
    const changed = JSON.stringify([...this.titles]) !== JSON.stringify([...next]);
    this.titles = next;
    if (changed) this.options.onChange(next);
  }

  private async check(
    raw: unknown,
    studio: { id: string; name: string },
  ): Promise<{ id: string | undefined; verdict: InstallVerdict; title?: InstalledTitle }> {
    const parsed = StudioTitleManifestSchema.safeParse(raw);
    const rawId = (raw as { id?: unknown } | null)?.id;
    const id = parsed.success ? parsed.data.id : typeof rawId === 'string' ? rawId.slice(0, 48) : undefined;
    if (!parsed.success) {
      const issues = apiIssuesOf(parsed.error)
        .slice(0, 3)
        .map((issue) => `${issue.path || '(manifest)'}: ${issue.message}`);
      return { id, verdict: { ok: false, reason: `not a manifest this node understands: ${issues.join('; ')}` } };
    }
    const manifest = parsed.data;
    if (this.options.localIds.has(manifest.id)) {
      return { id, verdict: { ok: false, reason: 'this node has its own manifest with that id' } };
    }
    try {
      checkGamepadMap(manifest, `studio title ${manifest.id}`);
    } catch (error) {
      return { id, verdict: { ok: false, reason: (error as Error).message } };
    }
    const verdict = await checkStudioTitle(manifest, this.options);
    if (!verdict.ok) return { id, verdict };
    return { id, verdict, title: { manifest: { ...manifest, command: verdict.commandPath }, dir: '', studio } };
  }

  /** Logs each title's verdict when it changes, not every round. */
  private report(verdicts: Map<string, InstallVerdict>): void {
    for (const [titleId, verdict] of verdicts) {
      if (JSON.stringify(this.verdicts.get(titleId)) === JSON.stringify(verdict)) continue;
      if (verdict.ok) this.log.info({ titleId, command: verdict.commandPath }, 'studio title offered');
      else this.log.info({ titleId, reason: verdict.reason }, 'studio title skipped');
    }
    for (const titleId of this.verdicts.keys()) {
      if (!verdicts.has(titleId)) this.log.info({ titleId }, 'studio title withdrawn by its studio');
    }
    this.verdicts = verdicts;
  }
}
