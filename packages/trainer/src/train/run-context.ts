/**
 * Stage 4 of `train()`: the run as one value the later stages share: its options and state, the
 * data, the models, the fit progress (fresh, or a resumed run's with its weights restored) and
 * the best weights so far. `saveProgress` is what --resume reads back.
 */

import { defaultConcurrency } from '../data/loader.js';
import type { TransformPool } from '../data/transform-pool.js';
import type { HeldFeatures } from '../ood/fit-for-run.js';
import { BestWeights, restoreResumedWeights, saveLastWeights } from './checkpoints.js';
import type { ExtractStats } from './features.js';
import { type FitProgress, freshProgress } from './fit.js';
import type { RunData } from './load-data.js';
import type { RunModels } from './load-models.js';
import type { ResolvedTrainOptions, TrainPhase } from './options.js';
import type { ResolvedRun } from './resolve-run.js';
import type { WarmStartSummary } from './results.js';
import { savedOptions, writeRunState } from './run-state.js';
import { discardEarlyViews, type EarlyViews, earlyViewsMatch } from './run-views.js';

export interface TrainRun extends ResolvedRun, RunData {
  models: RunModels;
  /** The features strategy's hand-over of the views started early (see StrategyContext). */
  takeEarlyViews(): EarlyViews | undefined;
  keepTransformPool(pool: TransformPool): boolean;
  /** The decoding workers features mode kept for report.html's thumbnails; closed by dispose(). */
  transformPool?: TransformPool;
  /** features and freeze: the backbone never changes, so .state/ keeps head weights only. */
  frozen: boolean;
  concurrency: number;
  progress: FitProgress;
  best: BestWeights;
  /** Seconds spent before this process resumed the run. */
  previousSeconds: number;
  /** Events of a warm-started finetune run name their phase. */
  phase?: TrainPhase;
  warmStart?: WarmStartSummary;
  featureCache?: ExtractStats;
  /** features mode: the features the strategy held, kept for the open-set fit (ood/). */
  openSetFeatures?: HeldFeatures;
  /** Frees the models and the best weights (the run is over, or failed). */
  dispose(): void;
}

export async function openRun(
  resolved: ResolvedRun,
  data: RunData,
  models: RunModels,
  earlyViews?: EarlyViews,
): Promise<TrainRun> {
  const { options, state, runDir } = resolved;
  let early = earlyViews;
  const frozen = options.mode !== 'finetune';
  const best = new BestWeights(models, frozen, runDir);
  const run: TrainRun = {
    ...resolved,
    ...data,
    models,
    frozen,
    concurrency: runConcurrency(options),
    progress: state
      ? {
          epochsDone: state.epochsDone,
          history: state.history,
          bestEpoch: state.bestEpoch,
          bestAccuracy: state.bestAccuracy,
          bestLoss: state.bestLoss,
          bestPredictions: state.bestPredictions,
          interrupted: false,
        }
      : freshProgress(),
    best,
    previousSeconds: state?.elapsedSeconds ?? 0,
    ...(options.mode === 'finetune' && options.warmStart ? { phase: 'finetune' as const } : {}),
    ...(state?.warmStart ? { warmStart: state.warmStart } : {}),
    takeEarlyViews() {
      const taken = early;
      early = undefined;
      if (taken && earlyViewsMatch(taken, models.pipelines)) return taken;
      void discardEarlyViews(taken);
      return undefined;
    },
    keepTransformPool(pool) {
      if (run.transformPool && run.transformPool !== pool) void run.transformPool.close();
      run.transformPool = pool;
      return true;
    },
    dispose() {
      void discardEarlyViews(early);
      early = undefined;
      void run.transformPool?.close();
      run.transformPool = undefined;
      best.dispose();
      models.dispose();
    },
  };
  try {
    if (state) await restoreResumedWeights(models, runDir, frozen, best);
  } catch (error) {
    run.dispose();
    throw error;
  }
  return run;
}

/** Photos a run reads at once: --concurrency, else two per core. */
export function runConcurrency(options: ResolvedTrainOptions): number {
  return options.concurrency || defaultConcurrency();
}

export function elapsedSeconds(run: TrainRun): number {
  return run.previousSeconds + (Date.now() - run.started) / 1000;
}

/** `.state/state.json` (and, unless `weights` is false, the last weights) after `epochsDone` epochs. */
export async function saveProgress(
  run: TrainRun,
  epochsDone: number,
  completed = false,
  weights = !completed,
): Promise<void> {
  if (weights) await saveLastWeights(run.models, run.runDir, run.frozen);
  await run.best.persist();
  const { progress } = run;
  await writeRunState(run.runDir, {
    version: 1,
    options: savedOptions(run.options),
    epochsDone,
    history: progress.history,
    bestEpoch: progress.bestEpoch,
    bestAccuracy: progress.bestAccuracy,
    bestLoss: progress.bestLoss,
    bestPredictions: progress.bestPredictions,
    elapsedSeconds: elapsedSeconds(run),
    completed,
    ...(run.warmStart ? { warmStart: run.warmStart } : {}),
  });
}
