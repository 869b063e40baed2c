import { describe, expect, it } from 'vitest';
import type { TitleSummary } from '@edgeplay/shared';
import { EdgeTitles } from '../src/catalog/edge-titles.js';

const title = (id: string, name: string, extra: Partial<TitleSummary> = {}): TitleSummary => ({
  id,
  name,
  resolution: { width: 800, height: 600 },
  fps: 60,
  ...extra,
});

describe('EdgeTitles', () => {
  it('lists what the connected edges offer, by name, and follows edges registering and leaving', () => {
    const titles = new EdgeTitles();
    expect(titles.list()).toEqual([]);
    titles.set('socket-a', 'edge-a', [title('supertux2', 'SuperTux')]);
    titles.set('socket-b', 'edge-b', [title('chromium-bsu', 'Chromium B.S.U.'), title('supertux2', 'SuperTux')]);
    expect(titles.list().map((t) => t.id)).toEqual(['chromium-bsu', 'supertux2']);
    expect(titles.has('chromium-bsu')).toBe(true);

    // The same socket registering again replaces what it offered.
    titles.set('socket-b', 'edge-b', [title('ltris', 'LTris')]);
    expect(titles.list().map((t) => t.id)).toEqual(['ltris', 'supertux2']);
    expect(titles.has('chromium-bsu')).toBe(false);

    expect(titles.remove('socket-a')).toBe('edge-a');
    expect(titles.list().map((t) => t.id)).toEqual(['ltris']);
    expect(titles.remove('socket-unknown')).toBeUndefined();
    expect(titles.list().map((t) => t.id)).toEqual(['ltris']);
  });

  it('keeps the strictest GPU tier any edge declares for a title', () => {
    const titles = new EdgeTitles();
    titles.set('socket-a', 'edge-a', [title('xonotic', 'Xonotic', { minGpuTier: 'high' })]);
    titles.set('socket-b', 'edge-b', [title('xonotic', 'Xonotic', { minGpuTier: 'mid' })]);
    expect(titles.list()).toMatchObject([{ id: 'xonotic', minGpuTier: 'high' }]);
    titles.remove('socket-a');
    expect(titles.list()).toMatchObject([{ id: 'xonotic', minGpuTier: 'mid' }]);
  });

  it('hands every caller an array of its own', () => {
    const titles = new EdgeTitles();
    titles.set('socket-a', 'edge-a', [title('ltris', 'LTris')]);
    titles.list().pop();
    expect(titles.list()).toHaveLength(1);
  });
});
