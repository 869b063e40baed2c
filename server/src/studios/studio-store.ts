import type { StudioTitleManifest } from '@edgeplay/shared';

/**
 * Studios, their API keys, their titles, uploaded covers and play time per title. One
 * interface, two implementations — `MemoryStudioStore` for one broker process,
 * `RedisStudioStore` for several sharing one Redis — held to one contract suite
 * (server/test/studios/studio-store-contract.ts).
 *
 * API keys are never stored: only their SHA-256 digest, which is what `findApiKey` looks
 * up. (A key is 32 random bytes; a slow password hash adds nothing against guessing 2^256
 * values and would cost every request.)
 */

export interface StudioRecord {
  studioId: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyRecord {
  /** Public name of the key (16 hex digits), for listing and revoking it. */
  keyId: string;
  studioId: string;
  createdAt: number;
}

export interface StudioTitleRecord {
  studioId: string;
  manifest: StudioTitleManifest;
  createdAt: number;
  updatedAt: number;
}

export type CoverContentType = 'image/png' | 'image/jpeg';

export interface CoverImage {
  /** `<sha256 of bytes>.png|jpg`; the image is served at /covers/<coverId>. */
  coverId: string;
  contentType: CoverContentType;
  bytes: Buffer;
  /** Who uploaded it first. */
  studioId: string;
}

export interface PlayTotals {
  /** Sessions that started. */
  sessions: number;
  /** Milliseconds of sessions that ended. */
  playMs: number;
  /** Sessions started and not yet ended. */
  running: number;
}

export interface StudioStore {
  createStudio(studio: StudioRecord): Promise<void>;
  getStudio(studioId: string): Promise<StudioRecord | undefined>;

  /** Stores a new key by its SHA-256 digest (64 hex digits). */
  addApiKey(key: ApiKeyRecord, keyHash: string): Promise<void>;
  /** The live (not revoked) key with this digest. */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** The studio's live keys, oldest first. */
  listApiKeys(studioId: string): Promise<ApiKeyRecord[]>;
  /** Revokes one of the studio's keys; false when it has no such live key. */
  revokeApiKey(studioId: string, keyId: string): Promise<boolean>;

  /** Registers a title; false (nothing changes) when any studio already has its id. */
  createTitle(record: StudioTitleRecord): Promise<boolean>;
  /**
   * Replaces the manifest of one of the studio's own titles (same id); undefined when the
   * studio has no title with that id — also when another studio has it.
   */
  updateTitle(
    studioId: string,
    manifest: StudioTitleManifest,
    updatedAt: number,
  ): Promise<StudioTitleRecord | undefined>;
  getTitle(titleId: string): Promise<StudioTitleRecord | undefined>;
  /** One studio's titles, or every studio's when `studioId` is undefined; by id. */
  listTitles(studioId?: string): Promise<StudioTitleRecord[]>;
  /** Removes one of the studio's own titles and its play totals; false when it has no such title. */
  deleteTitle(studioId: string, titleId: string): Promise<boolean>;

  /** Stores an image under its content address; storing the same bytes again changes nothing. */
  putCover(cover: CoverImage): Promise<void>;
  getCover(coverId: string): Promise<CoverImage | undefined>;

  /** A session of the title started at `at`; false when this session was already recorded. */
  playStarted(sessionId: string, titleId: string, at: number): Promise<boolean>;
  /** The session ended at `at`: its time is added to its title, exactly once; false if unknown or already ended. */
  playEnded(sessionId: string, at: number): Promise<boolean>;
  playTotals(titleId: string): Promise<PlayTotals>;

  /** Releases the store's resources (the Redis connection); idempotent. */
  close(): Promise<void>;
}
