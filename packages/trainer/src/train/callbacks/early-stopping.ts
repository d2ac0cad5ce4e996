/** `--patience N`: stop once N epochs in a row brought no better val accuracy than the best one. */
import type { FitCallback } from '../fit.js';

export function earlyStopping(patience: number): FitCallback {
  return {
    shouldStop: ({ epoch, progress }) =>
      patience > 0 && epoch - progress.bestEpoch >= patience
        ? `early stopping: no better val accuracy for ${patience} epochs`
        : undefined,
  };
}
