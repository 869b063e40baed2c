import type { EdgeRegister, TitleSummary } from '@edgeplay/shared';

export interface EdgeRecord extends EdgeRegister {
  socketId: string;
  activeSessions: number;
  /** Expiry times of tickets handed out that the edge has not reported as sessions yet. */
  pending: number[];
}

/**
 * Edges connected to this broker process. In-memory for the walking skeleton; the
 * Store interface (Redis or memory) replaces it when several brokers share state.
 */
export class EdgeRegistry {
  private readonly edges = new Map<string, EdgeRecord>();

  upsert(socketId: string, registration: EdgeRegister): void {
    const previous = this.edges.get(registration.edgeId);
    this.edges.set(registration.edgeId, {
      ...registration,
      socketId,
      activeSessions: previous?.activeSessions ?? 0,
      pending: [],
    });
  }

  removeSocket(socketId: string): string | undefined {
    for (const [edgeId, edge] of this.edges) {
      if (edge.socketId === socketId) {
        this.edges.delete(edgeId);
        return edgeId;
      }
    }
    return undefined;
  }

  bySocket(socketId: string): EdgeRecord | undefined {
    return [...this.edges.values()].find((edge) => edge.socketId === socketId);
  }

  setLoad(socketId: string, activeSessions: number): void {
    const edge = this.bySocket(socketId);
    if (!edge) return;
    edge.activeSessions = activeSessions;
    edge.pending = [];
  }

  /** Every title some edge offers, once each. */
  catalog(): TitleSummary[] {
    const titles = new Map<string, TitleSummary>();
    for (const edge of this.edges.values()) for (const title of edge.titles) titles.set(title.id, title);
    return [...titles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The least loaded edge with the title and a free slot; the slot counts as taken until
   * the ticket expires or the edge reports its sessions.
   */
  reserve(titleId: string, ticketExpiresAt: number, now: number): EdgeRecord | undefined {
    const load = (edge: EdgeRecord): number => {
      edge.pending = edge.pending.filter((expiry) => expiry > now);
      return edge.activeSessions + edge.pending.length;
    };
    const candidates = [...this.edges.values()].filter(
      (edge) => edge.titles.some((title) => title.id === titleId) && load(edge) < edge.maxSessions,
    );
    candidates.sort((a, b) => load(a) - load(b));
    const chosen = candidates[0];
    chosen?.pending.push(ticketExpiresAt);
    return chosen;
  }

  hasTitle(titleId: string): boolean {
    return [...this.edges.values()].some((edge) => edge.titles.some((title) => title.id === titleId));
  }
}
