/**
 * `freeze` mode: the frozen backbone runs on freshly augmented photos every step (full
 * ImageNet-style augmentation, no feature cache); only the head trains. Slower than `features`,
 * kept for comparison and for augmentations a cache cannot hold.
 */
import type { ResolvedTrainOptions } from '../options.js';
import { createPhotoStrategy } from './photos.js';
import type { ModeStrategy, StrategyContext } from './strategy.js';

export function createFreezeStrategy(ctx: StrategyContext, options: ResolvedTrainOptions): ModeStrategy {
  return createPhotoStrategy(ctx, options, {
    pipeline: ctx.models.pipelines.trainPipeline,
    trainsBackboneAt: () => false,
    trainsBackbone: false,
    valFeaturesChange: false,
  });
}
