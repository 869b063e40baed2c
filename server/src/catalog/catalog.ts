import { performance } from 'node:perf_hooks';
import type { Namespace } from 'socket.io';
import type { Logger } from 'pino';
import { ErrorCode, makeError, TitleSummarySchema, type TitleSummary } from '@edgeplay/shared';
import { z } from 'zod';
import { addTitle, type EdgeTitles } from './edge-titles.js';

/** How long to wait for the other brokers' title lists (the Redis adapter's request timeout). */
export const PEER_TIMEOUT_MS = 1000;
/**
 * How long the other brokers' titles are reused before they are asked again. Asking on
 * every player request cost each request a round trip through Redis and through every
 * other broker's event loop, so one busy broker slowed the players of all the others
 * (server/bench/socket-load-bench.ts). A title looked up and not found is asked for again
 * at once, so an edge that just joined another broker is never missed; a title whose last
 * edge just left may be listed for up to this long (placement then finds no free slot).
 */
export const PEER_TITLES_TTL_MS = 1000;

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

/** What the catalog needs of the player namespace: asking the other brokers, and answering them. */
export type CatalogPeers = Pick<Namespace, 'on' | 'serverSideEmitWithAck'>;

/**
 * The catalog: titles of this broker's own edges, plus — with several brokers sharing
 * Redis — those of the other brokers' edges, asked for over socket.io's Redis adapter
 * (at most once per PEER_TITLES_TTL_MS, one question at a time). A broker that does not
 * answer in time is left out of that listing, not waited for.
 */
export function createCatalog(
  titles: EdgeTitles,
  peers: CatalogPeers | undefined,
  logger: Logger,
  clock: () => number = () => performance.now(),
): Catalog {
  peers?.on('catalog:titles', (callback: unknown) => {
    if (typeof callback === 'function') (callback as (titles: TitleSummary[]) => void)(titles.list());
  });

  let peerTitles: { at: number; titles: TitleSummary[] } | undefined;
  let asking: Promise<TitleSummary[]> | undefined;

  const askPeers = (from: CatalogPeers): Promise<TitleSummary[]> => {
    asking ??= (async () => {
      const at = clock();
      try {
        const answers: unknown = await from.serverSideEmitWithAck('catalog:titles');
        const listed = PeerTitlesSchema.parse(answers).flat();
        peerTitles = { at, titles: listed };
        return listed;
      } catch (error) {
        // Not kept: the next request asks again.
        logger.warn({ error: String(error) }, 'some brokers did not send their titles in time');
        return [];
      } finally {
        asking = undefined;
      }
    })();
    return asking;
  };

  const peerListing = async (fresh: boolean): Promise<TitleSummary[]> => {
    if (!peers) return [];
    if (!fresh && peerTitles && clock() - peerTitles.at < PEER_TITLES_TTL_MS) return peerTitles.titles;
    return askPeers(peers);
  };

  const listing = async (fresh: boolean): Promise<TitleSummary[]> => {
    const all = new Map(titles.list().map((title) => [title.id, title]));
    for (const title of await peerListing(fresh)) addTitle(all, title);
    return [...all.values()].sort((a, b) => a.name.localeCompare(b.name));
  };

  const find = async (titleId: string): Promise<TitleSummary | undefined> =>
    (await listing(false)).find((title) => title.id === titleId) ??
    (peers ? (await listing(true)).find((title) => title.id === titleId) : undefined);
  const title = async (titleId: string): Promise<TitleSummary> => {
    const found = await find(titleId);
    if (!found) throw makeError(ErrorCode.TITLE_NOT_FOUND, `no node offers "${titleId}"`);
    return found;
  };
  return {
    list: () => listing(false),
    has: async (titleId) => (await find(titleId)) !== undefined,
    async assertOffered(titleId) {
      await title(titleId);
    },
    title,
  };
}
