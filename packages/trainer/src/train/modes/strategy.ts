/**
 * What a training mode supplies to the shared fit loop: its batches per epoch, its val pass, and
 * whether any of its epochs train backbone layers. features, freeze and finetune differ only here;
 * the loop (fit.ts) and one gradient step (train-step.ts) are the same for all three.
 */
import { scoreLogits } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Dataset, Sample } from '../../data/dataset.js';
import type { TransformPool } from '../../data/transform-pool.js';
import type { HeldFeatures } from '../../ood/fit-for-run.js';
import type { SkipLog } from '../load-data.js';
import type { RunModels } from '../load-models.js';
import type { TrainEvent } from '../options.js';
import type { ValPrediction } from '../results.js';
import { RunDirError } from '../run-state.js';
import type { EarlyViews } from '../run-views.js';
import type { StepPlan, TrainBatch, TrainStep } from '../train-step.js';

/** One batch, as a mode yields it (train-step.ts defines it: the step is what consumes it). */
export type { TrainBatch };

export interface ValOutcome {
  loss: number;
  accuracy: number;
  predictions: ValPrediction[];
}

export interface ModeStrategy {
  /** Training examples per epoch: feature rows (photos x views) or photos. */
  readonly trainCount: number;
  /** Whether any epoch trains backbone layers (they then get their own optimizer). */
  readonly trainsBackbone: boolean;
  /** Modes that decode photos every epoch are slow enough to report every batch. */
  readonly batchEvents: boolean;
  /** One epoch's batches, in the order the run's seed and the epoch give. */
  epochBatches(epoch: number): AsyncIterable<TrainBatch>;
  /** The current head on the val set. */
  evaluate(): Promise<ValOutcome>;
  /**
   * A gradient step of the strategy's own, used by the fit loop instead of the tfjs step
   * (features mode's TypeScript linear head). Its weights must be in `head` after evaluate().
   */
  createStep?(plan: StepPlan): TrainStep;
  /**
   * The pooled features it already holds (features mode's cache), for the open-set fit; modes
   * without them leave it out and the fit runs the final checkpoint over the photos instead.
   */
  openSetFeatures?(): HeldFeatures;
  dispose(): void;
}

/** What a strategy reads from the run. */
export interface StrategyContext {
  models: RunModels;
  dataset: Dataset;
  skips: SkipLog;
  concurrency: number;
  emit: (event: TrainEvent) => void;
  log: (message: string) => void;
  /**
   * features mode: the views train() started reading before the backbone loaded (run-views.ts),
   * handed over once; undefined when there are none or they do not match the loaded backbone.
   */
  takeEarlyViews?(): EarlyViews | undefined;
  /**
   * features mode: keeps its transform pool's workers (warm) for the outputs stage's thumbnails,
   * which then closes them; false when the run does not take it (the caller closes it).
   */
  keepTransformPool?(pool: TransformPool): boolean;
}

export function assertSomethingToTrain(trainCount: number, valCount: number): void {
  if (trainCount === 0 || valCount === 0)
    throw new RunDirError('no decodable images left after skipping bad files');
}

/**
 * Softmax, predicted class, cross-entropy and accuracy of val logits (a tensor, disposed here, or
 * rows of numbers).
 */
export async function scoreVal(
  logits: tfTypes.Tensor2D | ArrayLike<number>[],
  samples: readonly Sample[],
): Promise<ValOutcome> {
  let rows: ArrayLike<number>[];
  if (Array.isArray(logits)) rows = logits;
  else {
    rows = (await (logits as tfTypes.Tensor2D).array()) as number[][];
    (logits as tfTypes.Tensor2D).dispose();
  }
  const scored = scoreLogits(
    rows,
    samples.map((s) => s.label),
  );
  return {
    loss: scored.loss,
    accuracy: scored.accuracy,
    predictions: samples.map((s, i) => ({
      path: s.path,
      label: s.label,
      predicted: scored.predicted[i]!,
      probabilities: scored.probabilities[i]!,
    })),
  };
}
