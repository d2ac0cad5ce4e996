/**
 * One gradient step, the same for every mode: logits from the batch (through the backbone when
 * every layer trains), label-smoothed cross-entropy (+ coupled L2 for sgd/adam), gradients of the
 * variables this step trains, and each optimizer's step at its scheduled learning rate. The head
 * and the backbone have their own optimizers, so their learning rates can differ.
 */

import { learningRateAt, type ScheduleOptions } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from './load-models.js';
import { createOptimizer, type Stepper } from './optimizer.js';
import type { ResolvedTrainOptions } from './options.js';

export interface TrainBatch {
  /**
   * Pooled features for a head-only step; photos when every layer trains. Absent for a
   * strategy's own step (createStep), which reads `rows` of the data it holds.
   */
  x?: tfTypes.Tensor;
  /** Row indices of the strategy's own training data (createStep's batches). */
  rows?: readonly number[];
  labels: number[];
  /** `x` are photos: the step runs (and trains) the backbone too. */
  throughBackbone: boolean;
}

export interface StepModels {
  tf: Tf;
  extractor: tfTypes.LayersModel;
  head: tfTypes.LayersModel;
}

export interface TrainStep {
  /** Trains on one batch; its mean loss and how many of its labels the model got right. */
  run(batch: TrainBatch): Promise<{ loss: number; correct: number }>;
  /** Steps taken so far (resumed runs start at epochsDone x steps per epoch). */
  readonly steps: number;
  /** The head's learning rate at the last step taken. */
  lastHeadLr(): number;
  dispose(): void;
}

function trainableVariables(model: tfTypes.LayersModel): tfTypes.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
}

/** What a fit tells its step: the classes, whether the backbone trains, and where the schedule is. */
export interface StepPlan {
  numClasses: number;
  trainsBackbone: boolean;
  stepsPerEpoch: number;
  firstStep: number;
}

export function createTrainStep(
  models: StepModels,
  options: ResolvedTrainOptions,
  plan: StepPlan,
): TrainStep {
  const { tf, extractor, head } = models;
  const schedule = (baseLr: number): ScheduleOptions => ({
    name: options.schedule,
    baseLr,
    totalSteps: plan.stepsPerEpoch * options.epochs,
  });
  const headOptimizer: Stepper = createOptimizer(tf, options.optimizer, options.weightDecay);
  const backboneOptimizer = plan.trainsBackbone
    ? createOptimizer(tf, options.optimizer, options.weightDecay)
    : undefined;
  const headVars = trainableVariables(head);
  const backboneVars = plan.trainsBackbone ? trainableVariables(extractor) : [];
  let step = plan.firstStep;

  const lossOf = (logits: tfTypes.Tensor, labels: tfTypes.Tensor2D, vars: tfTypes.Variable[]) => {
    let loss = tf.losses.softmaxCrossEntropy(
      labels,
      logits,
      undefined,
      options.labelSmoothing,
    ) as tfTypes.Scalar;
    if (options.optimizer !== 'adamw' && options.weightDecay > 0) {
      // Coupled L2 for sgd/adam; AdamW decays the weights directly in the optimizer step.
      for (const v of vars)
        if (v.name.includes('kernel'))
          loss = loss.add(
            v
              .square()
              .sum()
              .mul(options.weightDecay / 2),
          );
    }
    return loss;
  };

  async function run(batch: TrainBatch): Promise<{ loss: number; correct: number }> {
    if (!batch.x) throw new Error('the tfjs step needs batch.x');
    const x = batch.x;
    const y = tf.tidy(
      () => tf.oneHot(tf.tensor1d(batch.labels, 'int32'), plan.numClasses).toFloat() as tfTypes.Tensor2D,
    );
    const vars = batch.throughBackbone ? [...headVars, ...backboneVars] : headVars;
    let predictedIds: tfTypes.Tensor | undefined;
    const { value, grads } = tf.tidy(() =>
      tf.variableGrads(() => {
        const features = batch.throughBackbone
          ? (extractor.apply(x, { training: false }) as tfTypes.Tensor)
          : x;
        const logits = head.apply(features, { training: true }) as tfTypes.Tensor;
        // variableGrads disposes intermediates: keep the predicted class ids for train accuracy.
        predictedIds = tf.keep(logits.argMax(-1));
        return lossOf(logits, y, vars);
      }, vars),
    );
    headOptimizer.step(grads, headVars, learningRateAt(step, schedule(options.lr)));
    if (batch.throughBackbone && backboneOptimizer)
      backboneOptimizer.step(grads, backboneVars, learningRateAt(step, schedule(options.backboneLr)));
    step++;
    const predicted = (await predictedIds!.data()) as Int32Array;
    const loss = (await value.data())[0]!;
    let correct = 0;
    predicted.forEach((p, i) => {
      if (p === batch.labels[i]) correct++;
    });
    tf.dispose([value, predictedIds!, y, ...Object.values(grads)]);
    return { loss, correct };
  }

  return {
    run,
    get steps() {
      return step;
    },
    lastHeadLr: () => learningRateAt(Math.max(0, step - 1), schedule(options.lr)),
    dispose() {
      headOptimizer.dispose();
      backboneOptimizer?.dispose();
    },
  };
}
