/**
 * Photos' features, as `ferry train`'s default computes them: each batch prepared
 * (photo-prep.ts: read, hash, cache lookup, decode, transform), the backbone run on it, the cache
 * written (trailing by a batch) and each photo reported in order.
 */
import { decodeRuleForPipeline, defaultEvalPipeline } from '@ferry/core';
import { idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import { type LoadedBackbone, runBackbone } from './backbone.js';
import { sha256Hex } from '../../hash.js';
import { type PhotoResult, type PrepSetup, preparePhotos } from './photo-prep.js';

export type { PhotoResult };

/**
 * Photos per onnxruntime-web call. Its wasm kernels run MobileNetV2 about 1.5x faster per photo
 * in batches of 8 or 16 than of 4 (the trainer's onnxruntime-node batch) and 2x faster than one
 * at a time (single thread, 9.8 ms a photo at 16); 16 inputs are 9.6 MB.
 */
const BACKBONE_BATCH = 16;

declare const __FERRY_CODE_ID__: string;

export interface FeatureSetup {
  backbone: LoadedBackbone;
  prep: PrepSetup;
  /** Everything but the photo and its decoder: backbone, layer, pipeline, normalization, code. */
  key: string;
}

export async function featureSetup(backbone: LoadedBackbone): Promise<FeatureSetup> {
  const evalPipeline = defaultEvalPipeline(backbone.width, backbone.height);
  const { normalization, featureLayer } = backbone.request;
  const digest = await sha256Hex(
    new TextEncoder().encode(
      JSON.stringify([backbone.hash, featureLayer, evalPipeline, normalization, __FERRY_CODE_ID__]),
    ),
  );
  const key = digest.slice(0, 32);
  return {
    backbone,
    key,
    prep: {
      key,
      evalPipeline,
      rule: decodeRuleForPipeline(evalPipeline),
      normalization,
      width: backbone.width,
      height: backbone.height,
    },
  };
}

/**
 * Runs jobs in order, BACKBONE_BATCH at a time; `onResult` for each photo in order. `stopped()`
 * is asked between batches; returns the ids left undone. Cache writes trail the backbone by a
 * batch and are all done when this returns.
 */
export async function computeFeatures(
  setup: FeatureSetup,
  jobs: PhotoJob[],
  onResult: (result: PhotoResult) => void,
  stopped: () => boolean,
): Promise<string[]> {
  const { dim } = setup.backbone;
  let writing: Promise<unknown> = Promise.resolve();
  try {
    for (let start = 0; start < jobs.length; start += BACKBONE_BATCH) {
      if (stopped()) return jobs.slice(start).map((j) => j.id);
      const batch = jobs.slice(start, start + BACKBONE_BATCH);
      const prepared = await preparePhotos(setup.prep, batch);
      const results = new Map<string, PhotoResult>(prepared.done.map((r) => [r.id, r]));
      if (prepared.missing.length > 0) {
        const out = await runBackbone(setup.backbone, prepared.input, prepared.missing.length);
        const rows = prepared.missing.map((m, i) => ({ ...m, features: out.slice(i * dim, (i + 1) * dim) }));
        const previous = writing;
        writing = previous.then(() =>
          Promise.all([
            idbPutAll(
              'features',
              rows.map((r) => ({ key: r.key, value: r.features })),
            ),
            idbPutAll(
              'thumbs',
              rows.map((r) => ({ key: r.hash, value: r.thumb })),
            ),
          ]),
        );
        for (const r of rows)
          results.set(r.id, { id: r.id, hash: r.hash, key: r.key, features: r.features, cached: false });
      }
      for (const job of batch) onResult(results.get(job.id)!);
    }
    return [];
  } finally {
    await writing;
  }
}
