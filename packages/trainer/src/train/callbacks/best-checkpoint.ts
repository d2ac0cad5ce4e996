/**
 * Where the best epoch is chosen: the highest val accuracy, ties broken by the lower val loss.
 * The best epoch's val predictions become metrics.json / predictions.csv, and `keep` saves its
 * weights (checkpoints.ts: in memory and .state/ for a frozen backbone, checkpoint/ otherwise).
 */
import type { EpochEnd, FitCallback, FitProgress } from '../fit.js';
import type { ValOutcome } from '../modes/strategy.js';

export function isBetterEpoch(val: ValOutcome, progress: FitProgress): boolean {
  return (
    val.accuracy > progress.bestAccuracy ||
    (val.accuracy === progress.bestAccuracy && val.loss < progress.bestLoss)
  );
}

export function bestCheckpoint(keep: (end: EpochEnd) => Promise<void>): FitCallback {
  return {
    async onEpochEnd(end) {
      const { val, progress } = end;
      if (!isBetterEpoch(val, progress)) return;
      progress.bestAccuracy = val.accuracy;
      progress.bestLoss = val.loss;
      progress.bestEpoch = end.epoch;
      progress.bestPredictions = val.predictions;
      end.isBest = true;
      await keep(end);
    },
  };
}
