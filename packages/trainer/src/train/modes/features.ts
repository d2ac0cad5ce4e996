/**
 * `features` mode (the default): the frozen backbone runs once per photo and view, the pooled
 * features come from (or go to) the on-disk cache, and every epoch trains the head alone on
 * shuffled rows of them. Also the first phase of finetune's warm start. The default head's pieces
 * (row order, scheduled step, val score, best epoch) are @ferry/model's, which the page's train
 * view strings together the same way (`fitFeatureHead`).
 */

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { epochOrder, featureDim, LinearHead, scheduledLinearStep } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { cacheDir } from '../../backbones/resolve.js';
import type { Sample } from '../../data/dataset.js';
import { createTransformPool } from '../../data/transform-pool.js';
import { type FeatureRunner, lazyFeatureRunner } from '../feature-runner.js';
import { type ExtractStats, extractFeatures, type FeatureRow } from '../features.js';
import type { ResolvedTrainOptions } from '../options.js';
import { planRunViews } from '../run-views.js';
import type { StepPlan, TrainStep } from '../train-step.js';
import { assertSomethingToTrain, type ModeStrategy, type StrategyContext, scoreVal } from './strategy.js';

export interface FeaturesStrategy extends ModeStrategy {
  featureCache: ExtractStats;
}

/**
 * Photos per onnxruntime call: small batches keep MobileNetV2's activations in cache. CPU per
 * photo on one thread here (tmp script, best of 3 x 256 photos, two runs): batch 1 1.96-2.07 ms,
 * 2 1.92-2.12, 4 2.10-2.16, 8 2.23-2.35, 16 2.38, 32 2.68. 4 keeps the calls few.
 */
const BACKBONE_BATCH = 4;

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
  // The views run-views.ts started reading before the backbone loaded, else a fresh source.
  const early = ctx.takeEarlyViews?.();
  const pool = early ? early.pool : createTransformPool();
  let runner: FeatureRunner | undefined;
  try {
    const plan =
      early?.plan ?? (await planRunViews(backbone, pipelines, ctx.dataset, options, pool, ctx.concurrency));
    runner = lazyFeatureRunner({
      tf,
      extractor,
      cacheKey: `${plan.backboneHash.slice(0, 24)}-${backbone.featureLayer.replace(/[^\w.-]/g, '_')}`,
      cacheDir: join(cacheDir(), 'onnx-backbones'),
      // Half the cores for the backbone, the transform pool's workers decode on the rest.
      threads: Math.max(1, Math.floor(availableParallelism() / 2)),
      log: ctx.log,
    });
    const { rows, stats } = await extractFeatures(
      plan.samples,
      {
        ...plan.source,
        tf,
        extractor,
        runner,
        batchSize: BACKBONE_BATCH,
        concurrency: ctx.concurrency,
        onSkip: ctx.skips.record,
        onBatch: (done: number, total: number, cached: number) =>
          ctx.emit({ type: 'features', done, total, cached }),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      early?.source,
    );
    const val = plan.source.plainViewOnly!;
    return {
      train: rows.filter((row) => !val.has(row.sample)),
      val: rows.filter((row) => val.has(row.sample)),
      stats,
      runnerName: runner.name,
    };
  } finally {
    await runner?.dispose();
    await early?.source.cancel();
    if (pool && !ctx.keepTransformPool?.(pool)) await pool.close();
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

/**
 * The default head, one dense layer, trains in TypeScript (@ferry/model's LinearHead: tfjs' math on SIMD
 * kernels, milliseconds per epoch); heads with hidden layers or dropout train through tfjs.
 */
export function trainsHeadInTypeScript(options: ResolvedTrainOptions): boolean {
  return options.hiddenUnits.length === 0 && options.dropout === 0;
}

export async function createFeaturesStrategy(
  ctx: StrategyContext,
  options: ResolvedTrainOptions,
): Promise<FeaturesStrategy> {
  const { tf, head, extractor } = ctx.models;
  const extracted = await extractRunFeatures(ctx, options);
  const { stats } = extracted;
  const views = describeViews(options);
  const typescriptHead = trainsHeadInTypeScript(options);
  ctx.log(
    `features: ${stats.hits} from cache, ${stats.backboneImages} through the backbone on ${extracted.runnerName} (${views} of each training image); head trained in ${typescriptHead ? 'TypeScript' : `tfjs (${tf.getBackend()})`}`,
  );
  const dim = featureDim(extractor);
  const trainLabels = extracted.train.map((row) => row.sample.label);
  const trainViews = extracted.train.map((row) => row.view);
  const trainX = packRows(extracted.train, dim);
  const valSamples: Sample[] = extracted.val.map((row) => row.sample);
  const valFlat = packRows(extracted.val, dim);
  const trainCount = trainLabels.length;
  assertSomethingToTrain(trainCount, valSamples.length);
  const valX = typescriptHead ? undefined : tf.tensor2d(valFlat, [valSamples.length, dim]);
  let linear: LinearHead | undefined;
  return {
    trainCount,
    trainsBackbone: false,
    batchEvents: false,
    featureCache: stats,
    async *epochBatches(epoch) {
      const order = epochOrder(trainCount, options.seed, epoch);
      for (let b = 0; b < order.length; b += options.batchSize) {
        const rows = order.slice(b, b + options.batchSize);
        const labels = rows.map((row) => trainLabels[row]!);
        if (typescriptHead) {
          yield { rows, labels, throughBackbone: false };
          continue;
        }
        const x = new Float32Array(rows.length * dim);
        rows.forEach((row, i) => x.set(trainX.subarray(row * dim, (row + 1) * dim), i * dim));
        yield { x: tf.tensor2d(x, [rows.length, dim]), labels, throughBackbone: false };
      }
    },
    ...(typescriptHead
      ? {
          createStep(plan: StepPlan): TrainStep {
            linear = createLinearHead(head, options, dim, plan.numClasses);
            return linearHeadStep(linear, options, plan, trainX, trainLabels);
          },
        }
      : {}),
    async evaluate() {
      if (!linear) {
        return scoreVal(
          tf.tidy(() => head.apply(valX!, { training: false }) as tfTypes.Tensor2D),
          valSamples,
        );
      }
      // The head model gets the trained weights before the callbacks save or keep them.
      const weights = [tf.tensor2d(linear.kernel(), [dim, linear.classes]), tf.tensor1d(linear.bias())];
      head.setWeights(weights);
      tf.dispose(weights);
      const logits = linear.predict(valFlat, valSamples.length);
      const classes = linear.classes;
      return scoreVal(
        valSamples.map((_, i) => logits.subarray(i * classes, (i + 1) * classes)),
        valSamples,
      );
    },
    openSetFeatures: () => ({
      train: trainX,
      trainLabels,
      trainViews,
      dim,
      val: valFlat,
      valSamples,
    }),
    dispose: () => valX?.dispose(),
  };
}

/** "the plain view, its mirror and 2 random crops": what the log line says each image gave. */
function describeViews(options: ResolvedTrainOptions): string {
  return [
    'the plain view',
    ...(options.mirrorView ? ['its mirror'] : []),
    ...(options.augViews > 0 ? [`${options.augViews} random crops`] : []),
  ].join(options.augViews > 0 && options.mirrorView ? ', ' : ' and ');
}

/** The TypeScript head, starting from the head model's weights: the seeded init, or those --resume loaded. */
function createLinearHead(
  head: tfTypes.LayersModel,
  options: ResolvedTrainOptions,
  dim: number,
  classes: number,
): LinearHead {
  const [kernel, bias] = head.getWeights().map((w) => Float32Array.from(w.dataSync()));
  return new LinearHead({
    dim,
    classes,
    optimizer: options.optimizer,
    weightDecay: options.weightDecay,
    labelSmoothing: options.labelSmoothing,
    kernel: kernel!,
    bias: bias!,
  });
}

/** features mode's own step: @ferry/model's scheduled LinearHead step on rows of the features it holds. */
function linearHeadStep(
  linear: LinearHead,
  options: ResolvedTrainOptions,
  plan: StepPlan,
  trainX: Float32Array,
  trainLabels: number[],
): TrainStep {
  const step = scheduledLinearStep(
    linear,
    { name: options.schedule, baseLr: options.lr, totalSteps: plan.stepsPerEpoch * options.epochs },
    plan.firstStep,
  );
  return {
    async run(batch) {
      return step.run(trainX, trainLabels, batch.rows!);
    },
    get steps() {
      return step.steps;
    },
    lastHeadLr: () => step.lastLr(),
    dispose() {},
  };
}
