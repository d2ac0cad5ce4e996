/**
 * Photos' features, as `ferry train`'s default computes them, in two workers: the photo worker
 * prepares each batch (photo-prep.ts: read, hash, cache lookup, decode, transform), this one runs
 * the backbone on it, writes the cache and reports each photo in order. The photo worker keeps
 * PREPARED_AHEAD batches ready, so on two cores decoding and the backbone run side by side.
 */
import { decodeRuleForPipeline, defaultEvalPipeline } from '@ferry/core';
import { idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import { type LoadedBackbone, runBackbone } from './backbone.js';
import { sha256Hex } from './hash.js';
import type { PhotoResult, PreparedBatch, PrepSetup } from './photo-prep.js';
import type { FromPhotoWorker, ToPhotoWorker } from './photo-worker.js';

export type { PhotoResult };

/**
 * Photos per onnxruntime-web call. Its wasm kernels run MobileNetV2 about 1.5x faster per photo
 * in batches of 8 or 16 than of 4 (the trainer's onnxruntime-node batch) and 2x faster than one
 * at a time (single thread, 9.8 ms a photo at 16); 16 inputs are 9.6 MB.
 */
const BACKBONE_BATCH = 16;
/** Batches the photo worker prepares ahead of the backbone. */
const PREPARED_AHEAD = 2;

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

let photoWorker: Worker | undefined;
let nextSeq = 0;
const waiting = new Map<number, { resolve(b: PreparedBatch): void; reject(e: Error): void }>();

function prepare(setup: FeatureSetup, jobs: PhotoJob[]): Promise<PreparedBatch> {
  if (!photoWorker) {
    photoWorker = new Worker(new URL('./photo-worker.ts', import.meta.url), {
      type: 'module',
      name: 'ferry-photos',
    });
    photoWorker.addEventListener('message', (event: MessageEvent<FromPhotoWorker>) => {
      const m = event.data;
      const w = waiting.get(m.seq);
      waiting.delete(m.seq);
      if (m.type === 'batch') w?.resolve(m.batch);
      else w?.reject(new Error(m.message));
    });
  }
  const seq = nextSeq++;
  return new Promise((resolve, reject) => {
    waiting.set(seq, { resolve, reject });
    photoWorker!.postMessage({ type: 'batch', seq, setup: setup.prep, jobs } satisfies ToPhotoWorker);
  });
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
  const batches: PhotoJob[][] = [];
  for (let i = 0; i < jobs.length; i += BACKBONE_BATCH) batches.push(jobs.slice(i, i + BACKBONE_BATCH));
  // Batches asked for and not yet taken: a taken batch (9.6 MB of input) must not stay reachable.
  const ahead = new Map<number, Promise<PreparedBatch>>();
  const request = (b: number) => {
    const p = prepare(setup, batches[b]!);
    p.catch(() => undefined); // awaited in order below; a batch left behind by a cancel must not go unhandled
    ahead.set(b, p);
  };
  for (let b = 0; b < Math.min(PREPARED_AHEAD, batches.length); b++) request(b);
  let writing: Promise<unknown> = Promise.resolve();
  try {
    for (let b = 0; b < batches.length; b++) {
      if (stopped()) return batches.slice(b).flatMap((batch) => batch.map((j) => j.id));
      const prepared = await ahead.get(b)!;
      ahead.delete(b);
      if (b + PREPARED_AHEAD < batches.length) request(b + PREPARED_AHEAD);
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
      for (const job of batches[b]!) onResult(results.get(job.id)!);
    }
    return [];
  } finally {
    await writing;
  }
}
