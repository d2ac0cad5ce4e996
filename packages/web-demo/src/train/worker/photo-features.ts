/**
 * Photos' features, as `ferry train`'s default computes them: each batch looked up (photo-prep.ts:
 * read, hash, cache lookup; the next batch's while this one computes), its views prepared
 * (decode, transform), the backbone run on it, the cache written (trailing by a batch) and each
 * photo reported in order.
 */
import { decodeRuleForPipeline, defaultEvalPipeline } from '@ferry/core';
import { sha256Hex } from '../../hash.js';
import { idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import { type LoadedBackbone, runBackbone } from './backbone.js';
import { lookUpPhotos, type PhotoResult, type PrepSetup, prepareViews } from './photo-prep.js';

export type { PhotoResult };

/**
 * Photos per onnxruntime-web call. Its wasm kernels run MobileNetV2 about as fast per photo in
 * batches of 8 as of 16, 1.3x faster than of 4 and 2x faster than one at a time; 8 keeps the
 * session's activation arena (and the page's memory) about 35 MiB smaller than 16 (flowers12 in
 * Chromium on the 2-core bench machine, 2026-12-07). 8 inputs are 4.8 MB.
 */
const BACKBONE_BATCH = 8;

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
  const batchAt = (start: number) => jobs.slice(start, start + BACKBONE_BATCH);
  let writing: Promise<unknown> = Promise.resolve();
  const input = new Float32Array(setup.prep.width * setup.prep.height * 3 * BACKBONE_BATCH);
  let lookingUp = lookUpPhotos(setup.prep, batchAt(0));
  try {
    for (let start = 0; start < jobs.length; start += BACKBONE_BATCH) {
      if (stopped()) return jobs.slice(start).map((j) => j.id);
      const batch = batchAt(start);
      const lookedUp = await lookingUp;
      // The next batch's files, hashes and cache entries are read while this one is computed.
      if (start + BACKBONE_BATCH < jobs.length) {
        lookingUp = lookUpPhotos(setup.prep, batchAt(start + BACKBONE_BATCH));
        // Dropped unawaited when the run is cancelled: its failure is then nobody's.
        lookingUp.catch(() => undefined);
      }
      const prepared = await prepareViews(setup.prep, lookedUp, input);
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
