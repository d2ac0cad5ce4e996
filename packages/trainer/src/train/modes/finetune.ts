/**
 * `finetune` mode: what it adds over `features`.
 * - Every layer trains: photos go through the backbone inside the gradient step, the backbone
 *   with its own optimizer at `--backbone-lr` (train-step.ts); BatchNorm statistics stay frozen.
 * - Photos are decoded every epoch through features mode's views: the plain eval view (plus a
 *   flip) one time in 1 + FINETUNE_AUG_VIEWS, a mild RandomResizedCrop otherwise (pipelines.ts).
 * - `--freeze-epochs N`: the first N epochs train the head alone, on features recomputed per step.
 * - The val features change with the backbone, so they are recomputed every epoch.
 * - Before all that, the warm start fits the head on cached features exactly as features mode
 *   does (warm-start.ts), then the same fit loop trains every layer from that head.
 */
import type { ResolvedTrainOptions } from '../options.js';
import { createPhotoStrategy } from './photos.js';
import type { ModeStrategy, StrategyContext } from './strategy.js';

export function createFinetuneStrategy(ctx: StrategyContext, options: ResolvedTrainOptions): ModeStrategy {
  const { trainPipeline, plainView } = ctx.models.pipelines;
  return createPhotoStrategy(ctx, options, {
    pipeline: trainPipeline,
    ...(plainView ? { plainView } : {}),
    trainsBackboneAt: (epoch) => epoch >= options.freezeEpochs,
    trainsBackbone: true,
    valFeaturesChange: true,
  });
}
