/**
 * Which views of which photos a features-mode run reads (planRunViews), and stage 2b of
 * `train()` for features mode (startEarlyViews): the photos start decoding on the transform pool's
 * workers before stage 3 loads TensorFlow.js, the backbone and onnxruntime — about 0.6 s of
 * main-thread work on 2 cores, during which the workers used to wait for their first photo. The
 * pipelines come from the input size the backbone's model.json declares; the features strategy
 * takes the started views only if they match the loaded backbone's pipelines, else they are
 * dropped and read again (never wrong, at worst not early).
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cacheDir, type ResolvedBackbone, readDeclaredInputSize } from '../backbones/resolve.js';
import type { Dataset, Sample } from '../data/dataset.js';
import { decoderIdentity } from '../data/decode.js';
import { createTransformPool, type TransformPool } from '../data/transform-pool.js';
import { codeIdentity } from '../io/code-identity.js';
import {
  featureCacheKey,
  hashModelFiles,
  startViewSource,
  type ViewSource,
  type ViewSourceOptions,
  viewIds,
} from './features.js';
import type { RunData } from './load-data.js';
import type { ResolvedTrainOptions } from './options.js';
import { pipelinesFor, type RunPipelines } from './pipelines.js';

/**
 * How a run reads its views (startViewSource): the cache key's directory, the pipelines, and
 * the views each photo gives — train photos the run's views, val photos the plain view. Known
 * before the backbone is loaded, so startEarlyViews can start decoding with it.
 */
export interface RunViewPlan {
  samples: Sample[];
  backboneHash: string;
  source: ViewSourceOptions;
}

export async function planRunViews(
  backbone: ResolvedBackbone,
  pipelines: RunPipelines,
  dataset: Dataset,
  options: ResolvedTrainOptions,
  pool: TransformPool | undefined,
  lookahead: number,
): Promise<RunViewPlan> {
  const { evalPipeline, trainPipeline } = pipelines;
  const backboneHash = await hashModelFiles(backbone.modelJson);
  const key = featureCacheKey({
    backboneHash,
    featureLayer: backbone.featureLayer,
    normalization: backbone.normalization,
    evalPipeline,
    trainPipeline,
    decoders: decoderIdentity(),
    code: featureCodeIdentity(),
  });
  return {
    // Train and val photos in one stream (val: the plain view only), so the decoders and the
    // backbone never wait for each other at the switch from one to the other.
    samples: [...dataset.train, ...dataset.val],
    backboneHash,
    source: {
      plainViewOnly: new Set(dataset.val),
      dir: join(cacheDir(), 'features', key),
      evalPipeline,
      trainPipeline,
      normalization: backbone.normalization,
      seed: options.seed,
      augViews: options.augViews,
      mirrorView: options.mirrorView,
      ...(pool ? { pool } : {}),
      lookahead,
      spareInputs: [],
    },
  };
}

/**
 * The code that turns bytes into features: core (transforms, decode rule), model (the backbone's
 * ONNX conversion) and the trainer's data/ (decoding, views), with the runtimes that may run the
 * backbone.
 */
export function featureCodeIdentity(): string {
  const require = createRequire(import.meta.url);
  const versions = ['onnxruntime-node', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'].map(
    (name) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`,
  );
  return `${codeIdentity('data')} ${versions.join(' ')}`;
}

/**
 * Views in flight while the backbone loads: on 2 cores the workers decode about 150 ants/bees
 * photos (or 400 of the 224-px flowers) in that time; 160 plain views hold 96 MB of floats.
 */
const EARLY_VIEWS = 160;

export interface EarlyViews {
  plan: RunViewPlan;
  source: ViewSource;
  pool: TransformPool | undefined;
}

export async function startEarlyViews(
  options: ResolvedTrainOptions,
  data: RunData,
  backbone: ResolvedBackbone,
  concurrency: number,
): Promise<EarlyViews | undefined> {
  if (options.mode !== 'features') return undefined;
  const size = await readDeclaredInputSize(backbone.modelJson);
  if (!size) return undefined;
  const pool = createTransformPool();
  const viewsPerPhoto = viewIds(options.augViews, options.mirrorView).length;
  const lookahead = Math.max(concurrency, Math.ceil(EARLY_VIEWS / viewsPerPhoto));
  const pipelines = pipelinesFor('features', size.width, size.height);
  try {
    const plan = await planRunViews(backbone, pipelines, data.dataset, options, pool, lookahead);
    return { plan, pool, source: startViewSource(plan.samples, plan.source) };
  } catch (error) {
    await pool?.close();
    throw error;
  }
}

/** Whether `early` was planned with the pipelines the loaded backbone needs. */
export function earlyViewsMatch(early: EarlyViews, pipelines: RunPipelines): boolean {
  const planned = early.plan.source;
  return (
    JSON.stringify([planned.evalPipeline, planned.trainPipeline]) ===
    JSON.stringify([pipelines.evalPipeline, pipelines.trainPipeline])
  );
}

/** Stops the early views' photo jobs and their workers (unused, or the run failed first). */
export async function discardEarlyViews(early: EarlyViews | undefined): Promise<void> {
  if (!early) return;
  await early.source.cancel();
  await early.pool?.close();
}
