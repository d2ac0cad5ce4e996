/**
 * `features` mode's fast path: run the frozen extractor once per image and view, and keep the
 * pooled features on disk keyed by file content hash + backbone + transform + view, so later
 * runs with other head settings never touch the backbone again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Normalization, TransformStep } from '@ferry/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Sample } from '../data/dataset.js';
import { type SkippedFile, viewSeed } from '../data/loader.js';
import { prefetchMap } from '../data/prefetch.js';
import { runTransformJob, type TransformJob } from '../data/transform-job.js';
import type { TransformPool } from '../data/transform-pool.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { type FeatureRunner, tfjsFeatureRunner } from './feature-runner.js';

type Tf = typeof tfTypes;

export interface FeatureCacheKeyParts {
  /** Hash of the backbone's model.json + weights. */
  backboneHash: string;
  featureLayer: string;
  normalization: Normalization;
  evalPipeline: readonly TransformStep[];
  trainPipeline: readonly TransformStep[];
}

export function featureCacheKey(parts: FeatureCacheKeyParts): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 20);
}

/** sha256 over a model.json and its weight shards: the backbone's identity in cache keys. */
export async function hashModelFiles(modelJson: string): Promise<string> {
  const hash = createHash('sha256');
  const text = await readFile(modelJson);
  hash.update(text);
  const manifest = JSON.parse(text.toString('utf8')) as { weightsManifest?: { paths: string[] }[] };
  for (const group of manifest.weightsManifest ?? [])
    for (const p of group.paths) hash.update(await readFile(join(modelJson, '..', p)));
  return hash.digest('hex');
}

export interface FeatureRow {
  sample: Sample;
  hash: string;
  view: number;
  features: Float32Array;
}

export interface ExtractOptions {
  tf: Tf;
  extractor: tfTypes.LayersModel;
  /** Runs the extractor (onnxruntime-node or tfjs); default tfjs on the current backend. */
  runner?: FeatureRunner;
  /** Directory of this cache key. */
  dir: string;
  evalPipeline: readonly TransformStep[];
  trainPipeline: readonly TransformStep[];
  normalization: Normalization;
  seed: number;
  /** Views per sample: 0 = eval pipeline; 1..augViews = seeded train-pipeline views. */
  augViews: number;
  batchSize: number;
  concurrency: number;
  onSkip: (s: SkippedFile) => void;
  /** Worker threads for decode + transforms; in-process without one. */
  pool?: TransformPool;
  onBatch?: (done: number, total: number, cached: number) => void;
  signal?: AbortSignal;
}

export interface ExtractStats {
  hits: number;
  misses: number;
  backboneImages: number;
}

function cachePath(dir: string, hash: string, view: number, seed: number): string {
  return join(dir, hash.slice(0, 2), view === 0 ? `${hash}.v0.f32` : `${hash}.s${seed}.v${view}.f32`);
}

/** Features for every (sample, view), from the cache when present, else through the extractor. */
export async function extractFeatures(
  samples: readonly Sample[],
  o: ExtractOptions,
): Promise<{ rows: FeatureRow[]; stats: ExtractStats }> {
  const runner = o.runner ?? tfjsFeatureRunner(o.tf, o.extractor);
  const rows: FeatureRow[] = [];
  const stats: ExtractStats = { hits: 0, misses: 0, backboneImages: 0 };
  const [height, width] = [
    (o.extractor.inputs[0]!.shape[1] as number) ?? 224,
    (o.extractor.inputs[0]!.shape[2] as number) ?? 224,
  ];
  const plane = width * height * 3;
  let pending: { row: Omit<FeatureRow, 'features'>; input: Float32Array; path: string }[] = [];
  let done = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = new Float32Array(pending.length * plane);
    pending.forEach((p, i) => batch.set(p.input, i * plane));
    const data = await runner.run(batch, pending.length);
    const dim = data.length / pending.length;
    for (let i = 0; i < pending.length; i++) {
      const features = data.slice(i * dim, (i + 1) * dim);
      const p = pending[i]!;
      await writeFileAtomic(p.path, new Uint8Array(features.buffer));
      rows.push({ ...p.row, features });
    }
    stats.backboneImages += pending.length;
    pending = [];
  };
  const totalViews = samples.length * (1 + o.augViews);
  const loaded = prefetchMap(
    samples,
    async (sample) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(sample.path);
      } catch (error) {
        return { sample, error: `cannot read file (${(error as NodeJS.ErrnoException).code ?? error})` };
      }
      const hash = createHash('sha256').update(bytes).digest('hex');
      const views: { view: number; path: string; features?: Float32Array; input?: Float32Array }[] = [];
      for (let v = 0; v <= o.augViews; v++) {
        const path = cachePath(o.dir, hash, v, o.seed);
        if (existsSync(path)) {
          const buf = await readFile(path);
          views.push({
            view: v,
            path,
            features: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(),
          });
        } else views.push({ view: v, path });
      }
      const missing = views.filter((v) => !v.features);
      if (missing.length > 0) {
        const job: TransformJob = {
          bytes,
          path: sample.path,
          normalization: o.normalization,
          views: missing.map((v) => ({
            view: v.view,
            pipeline: v.view === 0 ? o.evalPipeline : o.trainPipeline,
            seed: viewSeed(o.seed, hash, v.view),
          })),
        };
        const result = await (o.pool ? o.pool.run(job) : runTransformJob(job));
        if ('error' in result) return { sample, error: result.error };
        missing.forEach((v, i) => {
          v.input = result.inputs[i];
        });
      }
      return { sample, hash, views };
    },
    o.concurrency,
  );
  for await (const item of loaded) {
    if (o.signal?.aborted) break;
    if ('error' in item) {
      o.onSkip({ path: item.sample.path, reason: item.error ?? 'unknown error' });
      done += 1 + o.augViews;
      continue;
    }
    for (const v of item.views) {
      const row = { sample: item.sample, hash: item.hash, view: v.view };
      if (v.features) {
        stats.hits++;
        rows.push({ ...row, features: v.features });
      } else {
        stats.misses++;
        pending.push({ row, input: v.input!, path: v.path });
        if (pending.length >= o.batchSize) await flush();
      }
      done++;
    }
    o.onBatch?.(done, totalViews, stats.hits);
  }
  await flush();
  // Rows were pushed in cache-hit/flush order; put them back in sample order for reproducibility.
  const order = new Map(samples.map((s, i) => [s, i]));
  rows.sort((a, b) => order.get(a.sample)! - order.get(b.sample)! || a.view - b.view);
  return { rows, stats };
}
