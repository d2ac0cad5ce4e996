/**
 * `features` mode (the default): the frozen backbone runs once per photo and view, the pooled
 * features come from (or go to) the on-disk cache, and every epoch trains the head alone on
 * shuffled rows of them. Also the first phase of finetune's warm start.
 */

import { join } from 'node:path';
import { createRandom, shuffleInPlace } from '@ferry/core';
import { cacheDir } from '../../backbones/resolve.js';
import type { Sample } from '../../data/dataset.js';
import { createTransformPool } from '../../data/transform-pool.js';
import { featureDim } from '../../model/classifier.js';
import { lazyFeatureRunner } from '../feature-runner.js';
import {
  type ExtractStats,
  extractFeatures,
  type FeatureRow,
  featureCacheKey,
  hashModelFiles,
} from '../features.js';
import type { ResolvedTrainOptions } from '../options.js';
import { assertSomethingToTrain, type ModeStrategy, type StrategyContext, scoreVal } from './strategy.js';

export interface FeaturesStrategy extends ModeStrategy {
  featureCache: ExtractStats;
}

interface ExtractedFeatures {
  train: FeatureRow[];
  val: FeatureRow[];
  stats: ExtractStats;
  runnerName: string;
}

/** Pooled features of every train view and val photo, from the cache or through the backbone. */
async function extractRunFeatures(
  ctx: StrategyContext,
  options: ResolvedTrainOptions,
): Promise<ExtractedFeatures> {
  const { tf, extractor, backbone, pipelines } = ctx.models;
  const { evalPipeline, trainPipeline } = pipelines;
  const backboneHash = await hashModelFiles(backbone.modelJson);
  const key = featureCacheKey({
    backboneHash,
    featureLayer: backbone.featureLayer,
    normalization: backbone.normalization,
    evalPipeline,
    trainPipeline,
  });
  const runner = lazyFeatureRunner({
    tf,
    extractor,
    cacheKey: `${backboneHash.slice(0, 24)}-${backbone.featureLayer.replace(/[^\w.-]/g, '_')}`,
    cacheDir: join(cacheDir(), 'onnx-backbones'),
    log: ctx.log,
  });
  const pool = createTransformPool();
  const common = {
    tf,
    extractor,
    runner,
    ...(pool ? { pool } : {}),
    dir: join(cacheDir(), 'features', key),
    evalPipeline,
    trainPipeline,
    normalization: backbone.normalization,
    seed: options.seed,
    batchSize: 32,
    concurrency: ctx.concurrency,
    onSkip: ctx.skips.record,
    onBatch: (done: number, total: number, cached: number) =>
      ctx.emit({ type: 'features', done, total, cached }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    const train = await extractFeatures(ctx.dataset.train, { ...common, augViews: options.augViews });
    const val = await extractFeatures(ctx.dataset.val, { ...common, augViews: 0 });
    const stats = {
      hits: train.stats.hits + val.stats.hits,
      misses: train.stats.misses + val.stats.misses,
      backboneImages: train.stats.backboneImages + val.stats.backboneImages,
    };
    return { train: train.rows, val: val.rows, stats, runnerName: runner.name };
  } finally {
    await runner.dispose();
    await pool?.close();
  }
}

/**
 * Rows as one flat array. Train features stay in JS memory (5 KB per view for MobileNetV2) and
 * batches are copied out: no second copy in the backend's heap. Each row's array goes as soon as
 * it is copied, so the peak holds one copy, not two.
 */
function packRows(rows: FeatureRow[], dim: number): Float32Array {
  const flat = new Float32Array(rows.length * dim);
  const empty = new Float32Array(0);
  rows.forEach((row, i) => {
    flat.set(row.features, i * dim);
    row.features = empty;
  });
  return flat;
}

export async function createFeaturesStrategy(
  ctx: StrategyContext,
  options: ResolvedTrainOptions,
): Promise<FeaturesStrategy> {
  const { tf, head, extractor } = ctx.models;
  const extracted = await extractRunFeatures(ctx, options);
  const { stats } = extracted;
  ctx.log(
    `features: ${stats.hits} from cache, ${stats.backboneImages} through the backbone on ${extracted.runnerName} (${options.augViews} augmented views per training image)`,
  );
  const dim = featureDim(extractor);
  const trainLabels = extracted.train.map((row) => row.sample.label);
  const trainX = packRows(extracted.train, dim);
  const valSamples: Sample[] = extracted.val.map((row) => row.sample);
  const valX = tf.tensor2d(packRows(extracted.val, dim), [valSamples.length, dim]);
  const trainCount = trainLabels.length;
  try {
    assertSomethingToTrain(trainCount, valSamples.length);
  } catch (error) {
    valX.dispose();
    throw error;
  }
  return {
    trainCount,
    trainsBackbone: false,
    batchEvents: false,
    featureCache: stats,
    async *epochBatches(epoch) {
      const order = shuffleInPlace(
        Array.from({ length: trainCount }, (_, i) => i),
        createRandom(options.seed * 7919 + epoch),
      );
      for (let b = 0; b < order.length; b += options.batchSize) {
        const rows = order.slice(b, b + options.batchSize);
        const x = new Float32Array(rows.length * dim);
        rows.forEach((row, i) => x.set(trainX.subarray(row * dim, (row + 1) * dim), i * dim));
        const labels = rows.map((row) => trainLabels[row]!);
        yield { x: tf.tensor2d(x, [rows.length, dim]), labels, throughBackbone: false };
      }
    },
    evaluate: () =>
      scoreVal(
        tf.tidy(() => head.apply(valX, { training: false }) as typeof valX),
        valSamples,
      ),
    dispose: () => valX.dispose(),
  };
}
