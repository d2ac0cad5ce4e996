/**
 * finetune's warm start (fastai `fine_tune`, the Keras freeze-then-unfreeze guide): fit the head
 * on a frozen backbone before any backbone weight moves, so the expensive all-layer epochs start
 * from a good head instead of a random one. A frozen backbone is inference, so the head phase is
 * exactly features mode: the same strategy (cached features, its own defaults) and the same fit
 * loop, on the run's own head; the finetune phase then fits everything from that head's best epoch.
 */

import { computeMetrics } from '@ferry/model';
import { bestCheckpoint } from './callbacks/best-checkpoint.js';
import { BestWeights } from './checkpoints.js';
import { fit, freshProgress } from './fit.js';
import { createFeaturesStrategy } from './modes/features.js';
import {
  FINETUNE_AUG_VIEWS,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainOptions,
  WARM_START_LR,
} from './options.js';
import type { WarmStartSummary } from './results.js';
import { saveProgress, type TrainRun } from './run-context.js';

/**
 * The features-mode settings of a finetune run's warm start: same data, split, backbone, head
 * shape and label smoothing; every other setting is features mode's default, because the
 * finetune run's own epochs/lr/batch size/optimizer belong to the all-layer phase — except the
 * views: the plain one and FINETUNE_AUG_VIEWS random crops, the mix finetune's all-layer epochs
 * show and were measured with, and the learning rate they were measured at (features mode's own
 * default is one view per photo at a higher rate).
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
    augViews: FINETUNE_AUG_VIEWS,
    mirrorView: false,
    // The rate finetune's warm start was measured with (features mode's own default is 3e-3 for
    // its one view per photo; the warm start sees three views per photo).
    lr: WARM_START_LR,
    concurrency: r.concurrency,
    exportOnnx: false,
    report: false,
  };
}

/**
 * Phase 1 of a warm-started finetune run: leaves the best warm head in `run.models.head` and its
 * summary in `run.warmStart`, saved with the state so --resume skips it. A run stopped inside the
 * warm start saved a state without weights, and --resume runs the warm start again (its features
 * come from the cache). Returns false when the abort signal stopped it.
 */
export async function fitWarmHead(run: TrainRun): Promise<boolean> {
  const { signal } = run.options;
  const ws = {
    ...resolveTrainOptions(warmStartOptions(run.options, run.runDir)),
    ...(signal ? { signal } : {}),
  };
  await saveProgress(run, 0, false, false);
  run.emit({ type: 'phase', phase: 'warm-start', index: 1, phases: 2, epochs: ws.epochs });
  const started = Date.now();
  const strategy = await createFeaturesStrategy(run, ws);
  const best = new BestWeights(run.models, true);
  const progress = freshProgress();
  try {
    await fit(
      {
        models: run.models,
        strategy,
        options: ws,
        numClasses: run.dataset.labels.length,
        callbacks: [bestCheckpoint(() => best.keep())],
        emit: run.emit,
        phase: 'warm-start',
      },
      progress,
    );
    if (progress.interrupted) return false;
    best.restoreHead();
  } finally {
    strategy.dispose();
    best.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  run.warmStart = summarizeWarmStart(ws, progress, seconds, strategy.featureCache, run.dataset.labels);
  // The warm head goes to .state/last with the state: from here on, resume skips the warm start.
  await saveProgress(run, 0);
  run.log(
    `warm start: head val accuracy ${run.warmStart.valAccuracy.toFixed(4)} (best epoch ${progress.bestEpoch}/${ws.epochs}) in ${seconds.toFixed(1)} s`,
  );
  return true;
}

function summarizeWarmStart(
  ws: ResolvedTrainOptions,
  progress: ReturnType<typeof freshProgress>,
  durationSeconds: number,
  featureCache: WarmStartSummary['featureCache'],
  labels: string[],
): WarmStartSummary {
  const best = progress.bestPredictions;
  const metrics = computeMetrics(
    labels,
    best.map((p) => p.label),
    best.map((p) => p.predicted),
  );
  return {
    mode: 'features',
    epochs: ws.epochs,
    epochsRun: progress.epochsDone,
    bestEpoch: progress.bestEpoch,
    valAccuracy: metrics.accuracy,
    learningRate: ws.lr,
    batchSize: ws.batchSize,
    augViews: ws.augViews,
    weightDecay: ws.weightDecay,
    durationSeconds,
    ...(featureCache ? { featureCache } : {}),
    history: progress.history,
  };
}
