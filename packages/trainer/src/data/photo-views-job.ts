/**
 * One photo's share of features-mode extraction, complete: read the file, hash it (the cache
 * key), look each view up in the feature cache, and decode + transform only the views the cache
 * lacks (transform-job.ts). The transform pool's workers run it whole, so the main thread does
 * not read, hash or wait for a single photo: jobs posted before `train()` loads TensorFlow.js and
 * the backbone (~0.6 s of main-thread work) are decoded while it does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DecodeRule, Normalization, TransformStep } from '@ferry/core';
import { featureCachePath, readCachedFeatures } from './feature-cache-files.js';
import { viewSeed } from './loader.js';
import { runTransformJob, type ViewRequest } from './transform-job.js';

export interface PhotoView {
  view: number;
  pipeline: readonly TransformStep[];
  /** Index (in the job's `views`) of the view this one mirrors, when both are computed. */
  mirrorOf?: number;
}

export interface PhotoViewsJob {
  path: string;
  views: PhotoView[];
  /** The run's seed: a view's random transforms use `viewSeed(seed, file hash, view)`. */
  seed: number;
  normalization: Normalization;
  /** How large to decode a JPEG (core's decode rule). */
  decode?: DecodeRule;
  /** The cache key's directory: views found there are not computed again. */
  cacheDir: string;
  /**
   * Input buffers the consumer is done with, handed back for this thread's next inputs: without
   * them every view was a fresh 600 KB array, and the main thread's heap saw 576 MB of external
   * memory come and go on the flowers (a dozen full garbage collections during extraction).
   */
  spare?: ArrayBuffer[];
}

/** One view: its cache file, and either its cached features or its model input. */
export interface PhotoViewResult {
  view: number;
  cachePath: string;
  features?: Float32Array;
  input?: Float32Array;
}

export type PhotoViewsResult = { hash: string; views: PhotoViewResult[] } | { error: string };

/** This thread's spare input buffers (from jobs' `spare`), reused before allocating. */
const spareBuffers: ArrayBuffer[] = [];

function allocateInput(floats: number): Float32Array {
  const index = spareBuffers.findIndex((b) => b.byteLength === floats * 4);
  return index >= 0 ? new Float32Array(spareBuffers.splice(index, 1)[0]!) : new Float32Array(floats);
}

export async function runPhotoViewsJob(job: PhotoViewsJob): Promise<PhotoViewsResult> {
  if (job.spare) spareBuffers.push(...job.spare);
  let bytes: Buffer;
  try {
    // Synchronous reads: a worker runs one job at a time, and awaiting each read of a warm run
    // (photo + cached features) left it waiting on the thread pool more than working.
    bytes = readFileSync(job.path);
  } catch (error) {
    return { error: `cannot read file (${(error as NodeJS.ErrnoException).code ?? error})` };
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const views: PhotoViewResult[] = [];
  for (const v of job.views) {
    const cachePath = featureCachePath(job.cacheDir, hash, v.view, job.seed);
    const features = readCachedFeatures(cachePath);
    views.push({ view: v.view, cachePath, ...(features ? { features } : {}) });
  }
  const missing = job.views.flatMap((v, i) => (views[i]!.features ? [] : [{ v, i }]));
  if (missing.length === 0) return { hash, views };
  const requests: ViewRequest[] = missing.map(({ v }) => {
    // A mirror shares the work of the view it mirrors only when that one is computed too.
    const mirrorOf = v.mirrorOf === undefined ? -1 : missing.findIndex((m) => m.i === v.mirrorOf);
    return {
      view: v.view,
      pipeline: v.pipeline,
      seed: viewSeed(job.seed, hash, v.view),
      ...(mirrorOf >= 0 ? { mirrorOf } : {}),
    };
  });
  const result = await runTransformJob(
    {
      bytes,
      path: job.path,
      normalization: job.normalization,
      views: requests,
      ...(job.decode ? { decode: job.decode } : {}),
    },
    allocateInput,
  );
  if ('error' in result) return result;
  missing.forEach(({ i }, k) => {
    views[i]!.input = result.inputs[k];
  });
  return { hash, views };
}

/** The buffers a result can hand to another thread without copying. */
export function transferablesOf(result: PhotoViewsResult): ArrayBuffer[] {
  if ('error' in result) return [];
  return result.views.flatMap((v) =>
    [v.features, v.input].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : [])),
  );
}
