/** The strategy of each `--mode`: one file per mode, one shared fit loop (../fit.ts). */
import type { ExtractStats } from '../features.js';
import type { ResolvedTrainOptions } from '../options.js';
import { createFeaturesStrategy } from './features.js';
import { createFinetuneStrategy } from './finetune.js';
import { createFreezeStrategy } from './freeze.js';
import type { ModeStrategy, StrategyContext } from './strategy.js';

export async function createModeStrategy(
  ctx: StrategyContext,
  options: ResolvedTrainOptions,
): Promise<ModeStrategy & { featureCache?: ExtractStats }> {
  switch (options.mode) {
    case 'features':
      return createFeaturesStrategy(ctx, options);
    case 'freeze':
      return createFreezeStrategy(ctx, options);
    case 'finetune':
      return createFinetuneStrategy(ctx, options);
  }
}

export { createFeaturesStrategy } from './features.js';
export type { ModeStrategy, StrategyContext, TrainBatch, ValOutcome } from './strategy.js';
