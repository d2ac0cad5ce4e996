/**
 * Saves the run's state for --resume (last weights, best head, state.json) at epoch ends, at
 * most once every `minSeconds`, and once more when the fit stops at an epoch boundary. A
 * features-mode epoch is ~15 ms of work and its save ~10 ms of waiting on the disk: saving
 * every epoch left the default run's 40 epochs idle for 0.3-0.4 s. Epochs of minutes (finetune)
 * still save after every epoch. A killed process loses at most the epochs of the last
 * `minSeconds` and the one in flight; --resume redoes them.
 */
import type { FitCallback } from '../fit.js';

export function saveProgressPeriodically(
  save: (epochsDone: number) => Promise<void>,
  minSeconds = 1,
): FitCallback {
  let lastSave = Number.NEGATIVE_INFINITY;
  let unsaved: number | undefined;
  const saveNow = async (epoch: number) => {
    await save(epoch);
    lastSave = performance.now();
    unsaved = undefined;
  };
  return {
    async onEpochEnd(end) {
      if (performance.now() - lastSave < minSeconds * 1000) unsaved = end.epoch;
      else await saveNow(end.epoch);
    },
    async onFitEnd() {
      if (unsaved !== undefined) await saveNow(unsaved);
    },
  };
}
