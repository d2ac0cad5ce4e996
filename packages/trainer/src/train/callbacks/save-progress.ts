/**
 * Saves the run's state (and the last weights) after every epoch, so a killed process loses at
 * most the epoch in flight. Runs after the best checkpoint, so the state names the best epoch.
 */
import type { FitCallback } from '../fit.js';

export function saveProgressEachEpoch(save: (epochsDone: number) => Promise<void>): FitCallback {
  return { onEpochEnd: (end) => save(end.epoch) };
}
