/**
 * finetune's warm start (fastai `fine_tune`, the Keras freeze-then-unfreeze guide): train the
 * head on a frozen backbone before any backbone weight moves, so the expensive all-layer epochs
 * start from a good head instead of a random one. A frozen backbone is inference, so the head
 * phase is a plain `features`-mode run (cached features, its own defaults) into a scratch run
 * directory: one code path and one on-disk feature cache for both, and the backbone runs once
 * per image and view instead of once per step.
 */
import type { ExtractStats } from './features.js';
import type { ResolvedTrainOptions, TrainEvent, TrainOptions } from './options.js';
import type { EpochRecord, TrainResult } from './train.js';

/** Scratch run directory of the warm start, under the finetune run's `.state/`. */
export const WARM_START_DIR = 'warm-start';

/** What the warm start did: kept in `.state/state.json` (resume), metrics.json and spec.json. */
export interface WarmStartSummary {
  mode: 'features';
  epochs: number;
  epochsRun: number;
  bestEpoch: number;
  valAccuracy: number;
  learningRate: number;
  batchSize: number;
  augViews: number;
  weightDecay: number;
  durationSeconds: number;
  featureCache?: ExtractStats;
  history: EpochRecord[];
}

/**
 * The features-mode run behind a finetune run's warm start: same data, split, backbone, head
 * shape and label smoothing; every other setting is features mode's default, because the
 * finetune run's own epochs/lr/batch size/optimizer belong to the all-layer phase.
 */
export function warmStartOptions(r: ResolvedTrainOptions, out: string): TrainOptions {
  return {
    out,
    mode: 'features',
    ...(r.data !== undefined ? { data: r.data } : {}),
    ...(r.csv !== undefined ? { csv: r.csv } : {}),
    valSplit: r.valSplit,
    seed: r.seed,
    backbone: r.backbone,
    ...(r.featureLayer !== undefined ? { featureLayer: r.featureLayer } : {}),
    backend: r.backend,
    hiddenUnits: r.hiddenUnits,
    dropout: r.dropout,
    labelSmoothing: r.labelSmoothing,
    concurrency: r.concurrency,
    exportOnnx: false,
    report: false,
  };
}

/**
 * The warm start's events as the finetune run reports them: tagged with their phase; its own
 * start/done are dropped (the finetune run has one start and one done).
 */
export function warmStartEvent(e: TrainEvent): TrainEvent | undefined {
  if (e.type === 'start' || e.type === 'done' || e.type === 'phase') return undefined;
  if (e.type === 'epoch' || e.type === 'batch') return { ...e, phase: 'warm-start' };
  return e;
}

export function summarizeWarmStart(resolved: ResolvedTrainOptions, result: TrainResult): WarmStartSummary {
  return {
    mode: 'features',
    epochs: resolved.epochs,
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    valAccuracy: result.valAccuracy,
    learningRate: resolved.lr,
    batchSize: resolved.batchSize,
    augViews: resolved.augViews,
    weightDecay: resolved.weightDecay,
    durationSeconds: result.durationSeconds,
    ...(result.featureCache ? { featureCache: result.featureCache } : {}),
    history: result.history,
  };
}
