/**
 * Training the default head on pooled features, in pieces the `ferry train` features mode
 * (trainer `train/modes/features.ts`, through its fit loop) and the page's train view call alike:
 * the epoch's row order, the scheduled step, the val score and the best-epoch rule. `fitFeatureHead`
 * strings them into the whole features-mode fit for callers without the CLI's loop (the page).
 */
import { argmax, createRandom, shuffleInPlace, softmax } from '@ferry/core';
import { LinearHead, type OptimizerName } from './linear-head.js';
import { learningRateAt, type ScheduleName, type ScheduleOptions } from './schedule.js';

/** The rows of one epoch in training order: the run's seed and the epoch decide it. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return shuffleInPlace(
    Array.from({ length: count }, (_, i) => i),
    createRandom(seed * 7919 + epoch),
  );
}

/** The LinearHead's optimizer step at the scheduled learning rate, counting steps across epochs. */
export interface ScheduledLinearStep {
  run(x: Float32Array, labels: ArrayLike<number>, rows: ArrayLike<number>): { loss: number; correct: number };
  readonly steps: number;
  /** The rate the last step used (the epoch record's `lr`). */
  lastLr(): number;
}

export function scheduledLinearStep(
  linear: LinearHead,
  schedule: ScheduleOptions,
  firstStep = 0,
): ScheduledLinearStep {
  let step = firstStep;
  return {
    run(x, labels, rows) {
      const result = linear.step(x, labels, rows, learningRateAt(step, schedule));
      step++;
      return result;
    },
    get steps() {
      return step;
    },
    lastLr: () => learningRateAt(Math.max(0, step - 1), schedule),
  };
}

export interface ScoredVal {
  /** Mean cross-entropy of the true labels. */
  loss: number;
  accuracy: number;
  predicted: number[];
  probabilities: number[][];
}

/** Softmax, predicted class, cross-entropy and accuracy of val logits (one row per photo). */
export function scoreLogits(rows: readonly ArrayLike<number>[], labels: readonly number[]): ScoredVal {
  let lossSum = 0;
  let correct = 0;
  const predicted: number[] = [];
  const probabilities = rows.map((row, i) => {
    const p = Array.from(softmax(Float32Array.from(row)));
    const top = argmax(p);
    predicted.push(top);
    lossSum += -Math.log(Math.max(p[labels[i]!]!, 1e-12));
    if (top === labels[i]) correct++;
    return p;
  });
  const n = Math.max(1, labels.length);
  return { loss: lossSum / n, accuracy: correct / n, predicted, probabilities };
}

/** The best epoch: the highest val accuracy, ties broken by the lower val loss. */
export function isBetterEpoch(
  val: { accuracy: number; loss: number },
  best: { accuracy: number; loss: number },
): boolean {
  return val.accuracy > best.accuracy || (val.accuracy === best.accuracy && val.loss < best.loss);
}

/**
 * Logits of a dense layer (Keras order kernel [dim, classes]) on feature rows, accumulated in
 * float64: the open-set fit reads these for the exported head, in the CLI and the page alike.
 */
export function denseLogits(
  kernel: Float32Array,
  bias: Float32Array,
  x: Float32Array,
  rows: number,
): number[][] {
  const classes = bias.length;
  const dim = kernel.length / classes;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Array<number>(classes);
    for (let c = 0; c < classes; c++) {
      let sum = bias[c]!;
      for (let k = 0; k < dim; k++) sum += x[r * dim + k]! * kernel[k * classes + c]!;
      row[c] = sum;
    }
    out.push(row);
  }
  return out;
}

export interface FeatureHeadOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  weightDecay: number;
  labelSmoothing: number;
  seed: number;
}

export interface FeatureHeadEpoch {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  lr: number;
  best: boolean;
}

export interface FeatureHeadFitInput {
  /** Row-major [trainLabels.length, dim]. */
  trainX: Float32Array;
  trainLabels: readonly number[];
  /** Row-major [valLabels.length, dim]. */
  valX: Float32Array;
  valLabels: readonly number[];
  dim: number;
  classes: number;
  options: FeatureHeadOptions;
  /** The seeded initial kernel (Keras order [dim, classes]) and bias: the tfjs head's glorot init. */
  init: { kernel: Float32Array; bias: Float32Array };
  onEpoch?(epoch: FeatureHeadEpoch): void | Promise<void>;
  /** Stops after the epoch in flight; the best epoch so far is returned. */
  signal?: { readonly aborted: boolean };
}

export interface FeatureHeadFit {
  bestEpoch: number;
  epochsRun: number;
  history: FeatureHeadEpoch[];
  /** The best epoch's weights, Keras order. */
  kernel: Float32Array;
  bias: Float32Array;
  /** The best epoch's val answers. */
  val: ScoredVal;
}

/** features mode's whole fit: every epoch on shuffled rows, the best epoch's head kept. */
export async function fitFeatureHead(input: FeatureHeadFitInput): Promise<FeatureHeadFit> {
  const { trainX, trainLabels, valX, valLabels, dim, classes, options: o } = input;
  const trainCount = trainLabels.length;
  if (trainCount === 0 || valLabels.length === 0)
    throw new Error('no decodable images left after skipping bad files');
  const linear = new LinearHead({
    dim,
    classes,
    optimizer: o.optimizer,
    weightDecay: o.weightDecay,
    labelSmoothing: o.labelSmoothing,
    kernel: input.init.kernel,
    bias: input.init.bias,
  });
  const stepsPerEpoch = Math.ceil(trainCount / o.batchSize);
  const step = scheduledLinearStep(linear, {
    name: o.schedule,
    baseLr: o.lr,
    totalSteps: stepsPerEpoch * o.epochs,
  });
  const best = { accuracy: -1, loss: Number.POSITIVE_INFINITY };
  let fit: FeatureHeadFit | undefined;
  const history: FeatureHeadEpoch[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    if (input.signal?.aborted) break;
    const order = epochOrder(trainCount, o.seed, epoch);
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < order.length; b += o.batchSize) {
      const rows = order.slice(b, b + o.batchSize);
      const result = step.run(trainX, trainLabels, rows);
      lossSum += result.loss * rows.length;
      correct += result.correct;
    }
    const logits = linear.predict(valX, valLabels.length);
    const val = scoreLogits(
      valLabels.map((_, i) => logits.subarray(i * classes, (i + 1) * classes)),
      valLabels,
    );
    const isBest = isBetterEpoch(val, best);
    const record: FeatureHeadEpoch = {
      epoch: epoch + 1,
      epochs: o.epochs,
      trainLoss: lossSum / trainCount,
      trainAccuracy: correct / trainCount,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      lr: step.lastLr(),
      best: isBest,
    };
    history.push(record);
    if (isBest) {
      best.accuracy = val.accuracy;
      best.loss = val.loss;
      fit = {
        bestEpoch: epoch + 1,
        epochsRun: 0,
        history,
        kernel: linear.kernel(),
        bias: linear.bias(),
        val,
      };
    }
    await input.onEpoch?.(record);
  }
  if (!fit) throw new Error('training finished no epoch');
  fit.epochsRun = history.length;
  return fit;
}
