/**
 * Photos' features, as `ferry train`'s default computes them, in a pipeline of three: each batch
 * looked up (photo-prep.ts: read, hash, cache lookup), its views prepared (decode, transform)
 * while the runner thread computes the batch before, then its features stored (the cache write
 * trailing by a batch) and each photo reported in order.
 */
import { decodeRuleForPipeline, defaultEvalPipeline } from '@ferry/core';
import { sha256Hex } from '../../hash.js';
import { idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import type { LoadedBackbone } from './backbone.js';
import {
  lookUpPhotos,
  type PhotoResult,
  type PreparedBatch,
  type PrepSetup,
  prepareViews,
} from './photo-prep.js';

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
  /** `prep.key`: the feature cache key's part for everything but the photo and its decoder. */
  prep: PrepSetup;
}

export async function featureSetup(backbone: LoadedBackbone): Promise<FeatureSetup> {
  const evalPipeline = defaultEvalPipeline(backbone.width, backbone.height);
  const { normalization, featureLayer } = backbone.request;
  const digest = await sha256Hex(
    new TextEncoder().encode(
      JSON.stringify([backbone.hash, featureLayer, evalPipeline, normalization, __FERRY_CODE_ID__]),
    ),
  );
  return {
    backbone,
    prep: {
      // Everything but the photo and its decoder: backbone, layer, pipeline, normalization, code.
      key: digest.slice(0, 32),
      evalPipeline,
      rule: decodeRuleForPipeline(evalPipeline),
      normalization,
      width: backbone.width,
      height: backbone.height,
    },
  };
}

/**
 * Runs jobs in order, BACKBONE_BATCH at a time; `onResult` for each photo in order. While the
 * runner computes one batch's features, this thread decodes and transforms the next. `stopped()`
 * is asked between batches; returns the ids left undone. Cache writes trail the backbone by a
 * batch and are all done when this returns.
 */
export async function computeFeatures(
  setup: FeatureSetup,
  jobs: PhotoJob[],
  onResult: (result: PhotoResult) => void,
  stopped: () => boolean,
): Promise<string[]> {
  const { dim, runner } = setup.backbone;
  const batchAt = (start: number) => jobs.slice(start, start + BACKBONE_BATCH);
  // Two input buffers, reused: one with the runner, one being filled.
  const size = setup.prep.width * setup.prep.height * 3 * BACKBONE_BATCH;
  const free: Float32Array<ArrayBuffer>[] = [new Float32Array(size), new Float32Array(size)];
  let writing: Promise<unknown> = Promise.resolve();

  /** Runs the backbone on a prepared batch, stores its features and reports its photos. */
  const finish = async (batch: PhotoJob[], prepared: PreparedBatch, input: Float32Array<ArrayBuffer>) => {
    const results = new Map<string, PhotoResult>(prepared.done.map((r) => [r.id, r]));
    if (prepared.missing.length === 0) free.push(input);
    else {
      const out = await runner.run(input, prepared.missing.length);
      free.push(out.input);
      const rows = prepared.missing.map((m, i) => ({
        ...m,
        features: out.features.slice(i * dim, (i + 1) * dim),
      }));
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
  };

  let lookingUp = lookUpPhotos(setup.prep, batchAt(0));
  /** The batch with the runner. */
  let running: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < jobs.length; start += BACKBONE_BATCH) {
      if (stopped()) {
        await running;
        return jobs.slice(start).map((j) => j.id);
      }
      const batch = batchAt(start);
      const lookedUp = await lookingUp;
      // The next batch's files, hashes and cache entries are read while this one is computed.
      if (start + BACKBONE_BATCH < jobs.length) {
        lookingUp = lookUpPhotos(setup.prep, batchAt(start + BACKBONE_BATCH));
        // Dropped unawaited when the run is cancelled: its failure is then nobody's.
        lookingUp.catch(() => undefined);
      }
      const input = free.pop()!;
      const prepared = await prepareViews(setup.prep, lookedUp, input);
      // The previous batch back and reported first: photos are reported in order.
      await running;
      running = finish(batch, prepared, input);
      // Awaited at the next batch or the end; until then its failure must not go unhandled.
      running.catch(() => undefined);
    }
    await running;
    return [];
  } finally {
    await writing;
  }
}
