/**
 * Where the best epoch is chosen: the highest val accuracy, ties broken by the lower val loss.
 * The best epoch's val predictions become metrics.json / predictions.csv, and `keep` saves its
 * weights (checkpoints.ts: in memory and .state/ for a frozen backbone, checkpoint/ otherwise).
 */
import { isBetterEpoch } from '@ferry/model';
import type { EpochEnd, FitCallback } from '../fit.js';

export function bestCheckpoint(keep: (end: EpochEnd) => Promise<void>): FitCallback {
  return {
    async onEpochEnd(end) {
      const { val, progress } = end;
      if (!isBetterEpoch(val, { accuracy: progress.bestAccuracy, loss: progress.bestLoss })) return;
      progress.bestAccuracy = val.accuracy;
      progress.bestLoss = val.loss;
      progress.bestEpoch = end.epoch;
      progress.bestPredictions = val.predictions;
      end.isBest = true;
      await keep(end);
    },
  };
}
