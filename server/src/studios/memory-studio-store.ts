import { parseOrThrow, type StudioTitleManifest } from '@edgeplay/shared';
import {
  ApiKeyIdSchema,
  ApiKeyRecordSchema,
  CoverIdSchema,
  CoverImageSchema,
  KeyHashSchema,
  SessionIdSchema,
  StudioIdSchema,
  StudioRecordSchema,
  StudioTitleRecordSchema,
  TimeSchema,
  TitleIdSchema,
} from './studio-store-schemas.js';
import { StudioTitleManifestSchema } from '@edgeplay/shared';
import type {
  ApiKeyRecord,
  CoverImage,
  PlayTotals,
  StudioRecord,
  StudioStore,
  StudioTitleRecord,
} from './studio-store.js';

/** One broker process's studios. Everything handed in or out is a copy. */
export class MemoryStudioStore implements StudioStore {
  private readonly studios = new Map<string, StudioRecord>();
  /** keyHash → key */
  private readonly keys = new Map<string, ApiKeyRecord>();
  private readonly titles = new Map<string, StudioTitleRecord>();
  private readonly covers = new Map<string, CoverImage>();
  private readonly totals = new Map<string, PlayTotals>();
  /** sessionId → what is needed to count it when it ends */
  private readonly running = new Map<string, { titleId: string; startedAt: number }>();

  async createStudio(studio: StudioRecord): Promise<void> {
    const record = parseOrThrow(StudioRecordSchema, studio, 'studio');
    this.studios.set(record.studioId, record);
  }

  async getStudio(studioId: string): Promise<StudioRecord | undefined> {
    const studio = this.studios.get(parseOrThrow(StudioIdSchema, studioId, 'studioId'));
    return studio && { ...studio };
  }

  async addApiKey(key: ApiKeyRecord, keyHash: string): Promise<void> {
    const record = parseOrThrow(ApiKeyRecordSchema, key, 'api key');
    this.keys.set(parseOrThrow(KeyHashSchema, keyHash, 'keyHash'), record);
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const key = this.keys.get(parseOrThrow(KeyHashSchema, keyHash, 'keyHash'));
    return key && { ...key };
  }

  async listApiKeys(studioId: string): Promise<ApiKeyRecord[]> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    const keys = [...this.keys.values()].filter((key) => key.studioId === studioId);
    return keys.sort(byCreation).map((key) => ({ ...key }));
  }

  async revokeApiKey(studioId: string, keyId: string): Promise<boolean> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    parseOrThrow(ApiKeyIdSchema, keyId, 'keyId');
    for (const [hash, key] of this.keys) {
      if (key.studioId === studioId && key.keyId === keyId) {
        this.keys.delete(hash);
        return true;
      }
    }
    return false;
  }

  async createTitle(record: StudioTitleRecord): Promise<boolean> {
    const parsed = parseOrThrow(StudioTitleRecordSchema, record, 'studio title');
    if (this.titles.has(parsed.manifest.id)) return false;
    this.titles.set(parsed.manifest.id, parsed);
    return true;
  }

  async updateTitle(
    studioId: string,
    manifest: StudioTitleManifest,
    updatedAt: number,
  ): Promise<StudioTitleRecord | undefined> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    const parsed = parseOrThrow(StudioTitleManifestSchema, manifest, 'studio title manifest');
    const known = this.titles.get(parsed.id);
    if (!known || known.studioId !== studioId) return undefined;
    const updated = { ...known, manifest: parsed, updatedAt: parseOrThrow(TimeSchema, updatedAt, 'updatedAt') };
    this.titles.set(parsed.id, updated);
    return structuredClone(updated);
  }

  async getTitle(titleId: string): Promise<StudioTitleRecord | undefined> {
    const title = this.titles.get(parseOrThrow(TitleIdSchema, titleId, 'titleId'));
    return title && structuredClone(title);
  }

  async listTitles(studioId?: string): Promise<StudioTitleRecord[]> {
    if (studioId !== undefined) parseOrThrow(StudioIdSchema, studioId, 'studioId');
    const titles = [...this.titles.values()].filter((title) => studioId === undefined || title.studioId === studioId);
    titles.sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
    return titles.map((title) => structuredClone(title));
  }

  async deleteTitle(studioId: string, titleId: string): Promise<boolean> {
    parseOrThrow(StudioIdSchema, studioId, 'studioId');
    const known = this.titles.get(parseOrThrow(TitleIdSchema, titleId, 'titleId'));
    if (!known || known.studioId !== studioId) return false;
    this.titles.delete(titleId);
    this.totals.delete(titleId);
    return true;
  }

  async putCover(cover: CoverImage): Promise<void> {
    const parsed = parseOrThrow(CoverImageSchema, cover, 'cover');
    if (!this.covers.has(parsed.coverId))
      this.covers.set(parsed.coverId, { ...parsed, bytes: Buffer.from(parsed.bytes) });
  }

  async getCover(coverId: string): Promise<CoverImage | undefined> {
    const cover = this.covers.get(parseOrThrow(CoverIdSchema, coverId, 'coverId'));
    return cover && { ...cover, bytes: Buffer.from(cover.bytes) };
  }

  async playStarted(sessionId: string, titleId: string, at: number): Promise<boolean> {
    parseOrThrow(SessionIdSchema, sessionId, 'sessionId');
    parseOrThrow(TitleIdSchema, titleId, 'titleId');
    parseOrThrow(TimeSchema, at, 'at');
    if (this.running.has(sessionId)) return false;
    this.running.set(sessionId, { titleId, startedAt: at });
    const totals = this.totalsOf(titleId);
    totals.sessions += 1;
    totals.running += 1;
    return true;
  }

  async playEnded(sessionId: string, at: number): Promise<boolean> {
    parseOrThrow(SessionIdSchema, sessionId, 'sessionId');
    parseOrThrow(TimeSchema, at, 'at');
    const session = this.running.get(sessionId);
    if (!session) return false;
    this.running.delete(sessionId);
    // A title deleted while the session ran has no totals to add to any more.
    const totals = this.totals.get(session.titleId);
    if (totals) {
      totals.playMs += Math.max(0, at - session.startedAt);
      totals.running = Math.max(0, totals.running - 1);
    }
    return true;
  }

  async playTotals(titleId: string): Promise<PlayTotals> {
    const totals = this.totals.get(parseOrThrow(TitleIdSchema, titleId, 'titleId'));
    return totals ? { ...totals } : { sessions: 0, playMs: 0, running: 0 };
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  private totalsOf(titleId: string): PlayTotals {
    let totals = this.totals.get(titleId);
    if (!totals) {
      totals = { sessions: 0, playMs: 0, running: 0 };
      this.totals.set(titleId, totals);
    }
    return totals;
  }
}

const byCreation = (a: ApiKeyRecord, b: ApiKeyRecord): number =>
  a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId);
