import { gpuTierRank, type TitleSummary } from '@edgeplay/shared';

const tierRank = (title: TitleSummary | undefined): number => (title?.minGpuTier ? gpuTierRank(title.minGpuTier) : -1);

/**
 * Adds a title to a listing. Edges carry their own manifests, so two may disagree about a
 * title's minimum GPU tier; the listing keeps the strictest, so no edge's own limit is
 * undercut. (A placeholder until studios register titles in the Store.)
 */
export function addTitle(listing: Map<string, TitleSummary>, title: TitleSummary): void {
  const known = listing.get(title.id);
  listing.set(
    title.id,
    known && tierRank(known) > tierRank(title) ? { ...title, minGpuTier: known.minGpuTier } : title,
  );
}

/**
 * The titles offered by the edges connected to this broker process, for the catalog.
 * Placement does not use it (the Store does); with several brokers each lists what its
 * own edges offer until studios register titles in the Store.
 */
export class EdgeTitles {
  private readonly bySocket = new Map<string, { edgeId: string; titles: TitleSummary[] }>();
  /**
   * The listing, made again only after an edge registers or leaves. Every player request
   * and every queue drain reads it, and building it walks every title of every edge: with
   * 1,000 edges that was ~1 ms of the event loop per read (server/bench/socket-load-bench.ts).
   */
  private listing: readonly TitleSummary[] | undefined;

  set(socketId: string, edgeId: string, titles: TitleSummary[]): void {
    this.bySocket.set(socketId, { edgeId, titles });
    this.listing = undefined;
  }

  /** The edge id the socket registered as, if any. */
  edgeOf(socketId: string): string | undefined {
    return this.bySocket.get(socketId)?.edgeId;
  }

  /** The studio the socket's edge advertised the title for; undefined for its own manifests. */
  studioOf(socketId: string, titleId: string | undefined): string | undefined {
    return this.bySocket.get(socketId)?.titles.find((title) => title.id === titleId)?.studio?.id;
  }

  remove(socketId: string): string | undefined {
    const edgeId = this.bySocket.get(socketId)?.edgeId;
    if (this.bySocket.delete(socketId)) this.listing = undefined;
    return edgeId;
  }

  /** Every title some connected edge offers, once each, by name. Callers get their own array. */
  list(): TitleSummary[] {
    if (!this.listing) {
      const titles = new Map<string, TitleSummary>();
      for (const edge of this.bySocket.values()) for (const title of edge.titles) addTitle(titles, title);
      this.listing = [...titles.values()].sort((a, b) => a.name.localeCompare(b.name));
    }
    return [...this.listing];
  }

  has(titleId: string): boolean {
    return this.list().some((title) => title.id === titleId);
  }
}
