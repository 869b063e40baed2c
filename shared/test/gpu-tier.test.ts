import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  gpuTierOf,
  gpuTierRank,
  isEdgePlayError,
  parseOrThrow,
  summarizeTitle,
  TitleManifestSchema,
} from '../src/index.js';

const manifest = {
  id: 'chromium-bsu',
  name: 'Chromium B.S.U.',
  command: 'chromium-bsu',
  resolution: { width: 800, height: 600 },
  fps: 60,
};

describe('GPU tiers', () => {
  it.each([
    ['cpu', 'cpu'],
    ['rtx-4090', 'top'],
    ['rtx-4090-oc', 'top'],
    ['l40s', 'top'],
    ['rtx-4070-ti', 'high'],
    ['a10', 'high'],
    ['rtx-4070', 'mid'],
    ['l4', 'mid'],
    ['rtx-3060', 'entry'],
    ['h100-80gb-hbm3', 'entry'],
    ['gpu', 'entry'],
    ['rtx-40900', 'entry'],
  ])('puts the gpuClass %s on %s', (gpuClass, tier) => {
    expect(gpuTierOf(gpuClass)).toBe(tier);
  });

  it('ranks the tiers lowest first', () => {
    expect(['top', 'cpu', 'high', 'entry', 'mid'].map((t) => gpuTierRank(t as never))).toEqual([4, 0, 3, 1, 2]);
  });
});

describe('a title manifest with a minimum GPU tier', () => {
  it('is optional, and travels in the summary edges send when set', () => {
    const plain = TitleManifestSchema.parse(manifest);
    expect(plain.minGpuTier).toBeUndefined();
    expect(summarizeTitle(plain)).not.toHaveProperty('minGpuTier');
    const demanding = TitleManifestSchema.parse({ ...manifest, minGpuTier: 'high' });
    expect(summarizeTitle(demanding)).toMatchObject({ id: 'chromium-bsu', minGpuTier: 'high' });
  });

  it('refuses a tier that is not on the ladder', () => {
    let error: unknown;
    try {
      parseOrThrow(TitleManifestSchema, { ...manifest, minGpuTier: 'rtx-4090' }, 'title manifest');
    } catch (thrown) {
      error = thrown;
    }
    expect(isEdgePlayError(error, ErrorCode.INVALID_MESSAGE)).toBe(true);
    expect((error as Error).message).toContain('minGpuTier');
  });
});
