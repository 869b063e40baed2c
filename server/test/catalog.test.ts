import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { TitleSummary } from '@edgeplay/shared';
import { createCatalog, PEER_TITLES_TTL_MS, type CatalogPeers } from '../src/catalog/catalog.js';
import { EdgeTitles } from '../src/catalog/edge-titles.js';

const title = (id: string, name: string): TitleSummary => ({
  id,
  name,
  resolution: { width: 800, height: 600 },
  fps: 60,
});

/** The other brokers as the Redis adapter shows them: each question answered with their titles, counted. */
function fakePeers(answer: () => TitleSummary[][]): CatalogPeers & { asked: number } {
  const peers = {
    asked: 0,
    on: () => peers,
    serverSideEmitWithAck: async () => {
      peers.asked += 1;
      await Promise.resolve();
      return answer();
    },
  };
  return peers as unknown as CatalogPeers & { asked: number };
}

describe('catalog across brokers', () => {
  const logger = pino({ level: 'silent' });

  it('reuses the other brokers’ titles for a while instead of asking on every request', async () => {
    let now = 0;
    const local = new EdgeTitles();
    local.set('socket-a', 'edge-a', [title('ltris', 'LTris')]);
    const peers = fakePeers(() => [[title('supertux2', 'SuperTux')]]);
    const catalog = createCatalog(local, peers, logger, () => now);

    expect((await catalog.list()).map((t) => t.id)).toEqual(['ltris', 'supertux2']);
    // Requests at once share one question; later ones within the time reuse its answer.
    await Promise.all([catalog.list(), catalog.title('supertux2'), catalog.title('ltris')]);
    now += PEER_TITLES_TTL_MS - 1;
    await catalog.title('supertux2');
    expect(peers.asked).toBe(1);

    now += 1;
    await catalog.list();
    expect(peers.asked).toBe(2);
  });

  it('asks again at once for a title it has not seen, so an edge that just joined another broker is found', async () => {
    const offered = [[title('ltris', 'LTris')]];
    const peers = fakePeers(() => offered);
    const catalog = createCatalog(new EdgeTitles(), peers, logger, () => 0);
    await expect(catalog.title('supertux2')).rejects.toMatchObject({ code: 'TITLE_NOT_FOUND' });
    offered.push([title('supertux2', 'SuperTux')]);
    expect(await catalog.title('supertux2')).toMatchObject({ id: 'supertux2' });
  });

  it('does not keep a failed question: the next request asks again', async () => {
    let fail = true;
    const peers = fakePeers(() => {
      if (fail) throw new Error('operation has timed out');
      return [[title('supertux2', 'SuperTux')]];
    });
    const catalog = createCatalog(new EdgeTitles(), peers, logger, () => 0);
    expect(await catalog.list()).toEqual([]);
    fail = false;
    expect((await catalog.list()).map((t) => t.id)).toEqual(['supertux2']);
  });
});
