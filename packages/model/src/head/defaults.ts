/**
 * `ferry train`'s default run (features mode): the settings the CLI resolves when given none
 * (trainer `train/options.ts`, which also records how they were chosen) and the page's train
 * view uses as they are. One place, so the two never drift apart.
 */
import type { OptimizerName } from './linear-head.js';
import type { ScheduleName } from './schedule.js';

export const FEATURES_MODE_DEFAULTS = {
  epochs: 40,
  batchSize: 64,
  /** The head alone, one view per photo (measured in trainer `train/options.ts`). */
  lr: 0.003,
  optimizer: 'adamw' as OptimizerName,
  schedule: 'cosine' as ScheduleName,
  weightDecay: 1,
  labelSmoothing: 0.1,
  /** Random-crop views per photo besides the plain one. */
  augViews: 0,
  mirrorView: false,
} as const;

/** The share of each class held out for validation, and the seed, when none are given. */
export const DEFAULT_VAL_SPLIT = 0.2;
export const DEFAULT_SEED = 42;
