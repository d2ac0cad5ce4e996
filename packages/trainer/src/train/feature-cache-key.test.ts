/**
 * The feature cache is keyed on everything that made its floats. The bug this guards against:
 * features cached by an install whose JPEGs decoded one way were reused, silently, after the
 * decoder changed, so the head, the open-set bank and the temperature were fitted on pixels no
 * runtime produced. Here a run fills the cache, then a run under another JPEG decoder identity
 * (the committed wasm replaced by another build) must read nothing from it.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTrainFixture } from '../test-support/train-fixture.js';
import { type FeatureCacheKeyParts, featureCacheKey } from './features.js';

const { root, data, backbone } = useTrainFixture('feature-cache-key', { trainPerClass: 4, valPerClass: 2 });

const options = (out: string) => ({
  data,
  backbone,
  out: join(root, out),
  featureLayer: 'out_relu',
  backend: 'wasm' as const,
  epochs: 2,
  batchSize: 8,
  augViews: 0,
  exportOnnx: false,
});
// Four train and two val photos per class, one plain view each.
const VIEWS = 12;

async function trainUnder(jpegDecoderId: string | undefined, out: string) {
  vi.resetModules();
  if (jpegDecoderId) {
    vi.doMock('@ferry/codec-jpeg/node', async (original) => ({
      ...(await original<typeof import('@ferry/codec-jpeg/node')>()),
      JPEG_DECODER_ID: jpegDecoderId,
    }));
  } else vi.doUnmock('@ferry/codec-jpeg/node');
  const { train } = await import('./train.js');
  return train(options(out));
}

describe('feature cache key', () => {
  it('changes with every ingredient', () => {
    const base: FeatureCacheKeyParts = {
      backboneHash: 'b',
      featureLayer: 'out_relu',
      normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 } as never,
      evalPipeline: [],
      trainPipeline: [],
      decoders: { jpeg: 'ferry-jpeg.wasm@aa', other: 'sharp@0.35.5' },
      code: 'c',
    };
    const variants: Partial<FeatureCacheKeyParts>[] = [
      { backboneHash: 'b2' },
      { featureLayer: 'block_16_project' },
      { decoders: { jpeg: 'ferry-jpeg.wasm@bb', other: 'sharp@0.35.5' } },
      { decoders: { jpeg: 'ferry-jpeg.wasm@aa', other: 'sharp@0.36.0' } },
      { code: 'c2' }, // core's, model's (the converter) and data/'s code: io/code-identity.test.ts
      { evalPipeline: [{ op: 'resize', size: 224 } as never] },
    ];
    const keys = new Set([base, ...variants.map((v) => ({ ...base, ...v }))].map(featureCacheKey));
    expect(keys.size).toBe(variants.length + 1);
  });

  it('a run under another JPEG decoder reads none of the features cached under this one', async () => {
    const first = await trainUnder(undefined, 'run-a');
    expect(first.featureCache).toEqual({ hits: 0, misses: VIEWS, backboneImages: VIEWS });
    const otherDecoder = await trainUnder('ferry-jpeg.wasm@another-build', 'run-b');
    expect(otherDecoder.featureCache).toEqual({ hits: 0, misses: VIEWS, backboneImages: VIEWS });
    // The first decoder's features are still there for it: a changed key, not a wiped cache.
    const again = await trainUnder(undefined, 'run-c');
    expect(again.featureCache).toEqual({ hits: VIEWS, misses: 0, backboneImages: 0 });
  });
});
