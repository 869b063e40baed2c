import { gpuTierRank, type TitleSummary } from '@edgeplay/shared';

/**
 * Adds a title to a listing. Edges carry their own manifests, so two may disagree about a
 * title's minimum GPU tier; the listing keeps the strictest, so no edge's own limit is
 * undercut. (A placeholder until studios register titles in the Store.)
 */
export function addTitle(listing: Map<string, TitleSummary>, title: TitleSummary): void {
  const known = listing.get(title.id);
  const rank = (t: TitleSummary | undefined): number => (t?.minGpuTier ? gpuTierRank(t.minGpuTier) : -1);
  listing.set(title.id, known && rank(known) > rank(title) ? { ...title, minGpuTier: known.minGpuTier } : title);
}

/**
 * The titles offered by the edges connected to this broker process, for the catalog.
 * Placement does not use it (the Store does); with several brokers each lists what its
 * own edges offer until studios register titles in the Store.
 */
export class EdgeTitles {
  private readonly bySocket = new Map<string, { edgeId: string; titles: TitleSummary[] }>();

  set(socketId: string, edgeId: string, titles: TitleSummary[]): void {
    this.bySocket.set(socketId, { edgeId, titles });
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
    this.bySocket.delete(socketId);
    return edgeId;
  }

  /** Every title some connected edge offers, once each, by name. */
  list(): TitleSummary[] {
    const titles = new Map<string, TitleSummary>();
    for (const edge of this.bySocket.values()) for (const title of edge.titles) addTitle(titles, title);
    return [...titles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  has(titleId: string): boolean {
    return this.list().some((title) => title.id === titleId);
  }
}
