/**
 * What freeze and finetune share: every epoch decodes the training photos again through a random
 * view, so each step sees fresh augmentation; val photos go through the eval pipeline.
 */
import { createRandom, shuffleInPlace, type TransformStep } from '@ferry/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Sample } from '../../data/dataset.js';
import { loadSamples, type PlainView, stackInputs } from '../../data/loader.js';
import { batches } from '../../data/prefetch.js';
import type { ResolvedTrainOptions } from '../options.js';
import {
  assertSomethingToTrain,
  type ModeStrategy,
  type StrategyContext,
  scoreVal,
  type TrainBatch,
} from './strategy.js';

export interface PhotoStrategyOptions {
  pipeline: readonly TransformStep[];
  plainView?: PlainView;
  /** Whether epoch `epoch` (0-based) trains the backbone; false: head-only on its features. */
  trainsBackboneAt: (epoch: number) => boolean;
  trainsBackbone: boolean;
  /** A backbone that trains changes the val features: compute them every epoch, not once. */
  valFeaturesChange: boolean;
}

export function createPhotoStrategy(
  ctx: StrategyContext,
  options: ResolvedTrainOptions,
  photo: PhotoStrategyOptions,
): ModeStrategy {
  const { tf, extractor, head, width, height, backbone } = ctx.models;
  const trainCount = ctx.dataset.train.length;
  assertSomethingToTrain(trainCount, 1);
  let valFeatures: tfTypes.Tensor2D | undefined;
  let valSamples: Sample[] = ctx.dataset.val;
  const toTensor = (batch: { input: Float32Array }[]) =>
    tf.tensor4d(stackInputs(batch), [batch.length, height, width, 3]);
  const features = (images: tfTypes.Tensor) =>
    tf.tidy(() => extractor.apply(images, { training: false }) as tfTypes.Tensor2D);

  async function* epochBatches(epoch: number): AsyncGenerator<TrainBatch> {
    const seed = options.seed * 7919 + epoch;
    const order = shuffleInPlace([...ctx.dataset.train], createRandom(seed));
    const stream = loadSamples(
      order,
      {
        pipeline: photo.pipeline,
        normalization: backbone.normalization,
        seed,
        concurrency: ctx.concurrency,
        ...(photo.plainView ? { plainView: photo.plainView } : {}),
      },
      ctx.skips.record,
    );
    const throughBackbone = photo.trainsBackboneAt(epoch);
    for await (const batch of batches(stream, options.batchSize)) {
      const labels = batch.map((s) => s.sample.label);
      const images = toTensor(batch);
      if (throughBackbone) yield { x: images, labels, throughBackbone };
      else {
        const x = features(images);
        images.dispose();
        yield { x, labels, throughBackbone };
      }
    }
  }

  /** Val features through the current backbone, and the photos that decoded. */
  async function computeValFeatures(): Promise<void> {
    const parts: tfTypes.Tensor2D[] = [];
    const samples: Sample[] = [];
    const stream = loadSamples(
      ctx.dataset.val,
      {
        pipeline: ctx.models.pipelines.evalPipeline,
        normalization: backbone.normalization,
        concurrency: ctx.concurrency,
      },
      ctx.skips.record,
    );
    for await (const batch of batches(stream, options.batchSize)) {
      const images = toTensor(batch);
      parts.push(features(images));
      images.dispose();
      samples.push(...batch.map((b) => b.sample));
    }
    valFeatures?.dispose();
    valFeatures = tf.concat(parts) as tfTypes.Tensor2D;
    tf.dispose(parts);
    valSamples = samples;
  }

  return {
    trainCount,
    trainsBackbone: photo.trainsBackbone,
    batchEvents: true,
    epochBatches,
    async evaluate() {
      if (!valFeatures || photo.valFeaturesChange) await computeValFeatures();
      const logits = tf.tidy(() => head.apply(valFeatures!, { training: false }) as tfTypes.Tensor2D);
      return scoreVal(logits, valSamples);
    },
    dispose: () => valFeatures?.dispose(),
  };
}
