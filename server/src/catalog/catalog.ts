import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';
import { ErrorCode, makeError, TitleSummarySchema, type TitleSummary } from '@edgeplay/shared';
import { z } from 'zod';
import { addTitle, type EdgeTitles } from './edge-titles.js';

/** How long to wait for the other brokers' title lists (the Redis adapter's request timeout). */
export const PEER_TIMEOUT_MS = 1000;

const PeerTitlesSchema = z.array(z.array(TitleSummarySchema).max(2000)).max(256);

export interface Catalog {
  /** Every title an online edge offers, by name. */
  list(): Promise<TitleSummary[]>;
  has(titleId: string): Promise<boolean>;
  /** Throws TITLE_NOT_FOUND unless some online edge offers the title. */
  assertOffered(titleId: string): Promise<void>;
  /** The title as listed (with its strictest minimum GPU tier); TITLE_NOT_FOUND unless some online edge offers it. */
  title(titleId: string): Promise<TitleSummary>;
}

/**
 * The catalog: titles of this broker's own edges, plus — with several brokers sharing
 * Redis — those of the other brokers' edges, asked for over socket.io's Redis adapter.
 * A broker that does not answer in time is left out of that listing, not waited for.
 */
export function createCatalog(titles: EdgeTitles, peers: Namespace | undefined, logger: Logger): Catalog {
  peers?.on('catalog:titles', (callback: unknown) => {
    if (typeof callback === 'function') (callback as (titles: TitleSummary[]) => void)(titles.list());
  });

  const list = async (): Promise<TitleSummary[]> => {
    const all = new Map(titles.list().map((title) => [title.id, title]));
    if (peers) {
      try {
        const answers: unknown = await peers.serverSideEmitWithAck('catalog:titles');
        for (const peerTitles of PeerTitlesSchema.parse(answers)) for (const title of peerTitles) addTitle(all, title);
      } catch (error) {
        logger.warn({ error: String(error) }, 'some brokers did not send their titles in time');
      }
    }
    return [...all.values()].sort((a, b) => a.name.localeCompare(b.name));
  };

  const find = async (titleId: string): Promise<TitleSummary | undefined> =>
    (await list()).find((title) => title.id === titleId);
  const title = async (titleId: string): Promise<TitleSummary> => {
    const found = await find(titleId);
    if (!found) throw makeError(ErrorCode.TITLE_NOT_FOUND, `no node offers "${titleId}"`);
    return found;
  };
  return {
    list,
    has: async (titleId) => (await find(titleId)) !== undefined,
    async assertOffered(titleId) {
      await title(titleId);
    },
    title,
  };
}
