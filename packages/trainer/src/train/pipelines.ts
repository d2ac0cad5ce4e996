/**
 * The transforms each mode trains on, all built from core's steps so they match what the model
 * sees at inference (the eval pipeline, recorded in spec.json).
 */
import { defaultEvalPipeline, defaultTrainPipeline, type TransformStep } from '@ferry/core';
import type { PlainView } from '../data/loader.js';
import { FINETUNE_AUG_VIEWS, type TrainMode } from './options.js';

/** RandomResizedCrop + flip from core, with a milder minimum scale than ImageNet's 0.08 (small datasets). */
export function featureTrainPipeline(width: number, height: number): TransformStep[] {
  return defaultTrainPipeline(width, height).map((s) =>
    s.op === 'randomResizedCrop' ? { ...s, scale: [0.25, 1] as [number, number] } : s,
  );
}

/**
 * finetune's plain view: the eval pipeline plus a flip, shown as often as its warm start shows
 * view 0 among its 1 + FINETUNE_AUG_VIEWS views per image.
 */
export function finetunePlainView(evalPipeline: readonly TransformStep[]): PlainView {
  return {
    pipeline: [...evalPipeline, { op: 'randomHorizontalFlip', p: 0.5 }],
    probability: 1 / (1 + FINETUNE_AUG_VIEWS),
  };
}

export interface RunPipelines {
  evalPipeline: TransformStep[];
  trainPipeline: TransformStep[];
  /** finetune only: the plain view mixed among the augmented ones. */
  plainView?: PlainView;
}

/**
 * freeze keeps the full ImageNet-style augmentation. finetune trains on the views its warm head
 * learned from (its warm start's): the plain eval view one time in 1 + FINETUNE_AUG_VIEWS, a mild
 * RandomResizedCrop otherwise. Switching to RandomResizedCrop(0.08-1) alone pulled the warm head
 * off the centre-cropped val distribution (0.928 -> 0.882 after one all-layer epoch).
 */
export function pipelinesFor(mode: TrainMode, width: number, height: number): RunPipelines {
  const evalPipeline = defaultEvalPipeline(width, height);
  const trainPipeline =
    mode === 'freeze' ? defaultTrainPipeline(width, height) : featureTrainPipeline(width, height);
  return {
    evalPipeline,
    trainPipeline,
    ...(mode === 'finetune' ? { plainView: finetunePlainView(evalPipeline) } : {}),
  };
}

/**
 * The views the head actually trained on, as report.html's sample grid shows them: finetune and
 * freeze train through their pipelines; features mode on the plain view (and its mirror with
 * --mirror-view) and `augViews` random crops per photo — by default the plain view alone, so
 * the grid shows no random crops the model never saw.
 */
export function trainedViews(
  mode: TrainMode,
  augViews: number,
  mirrorView: boolean,
  pipelines: RunPipelines,
): { trainPipeline: readonly TransformStep[]; plainView?: PlainView } {
  if (mode !== 'features')
    return {
      trainPipeline: pipelines.trainPipeline,
      ...(pipelines.plainView ? { plainView: pipelines.plainView } : {}),
    };
  const plainViews = mirrorView ? 2 : 1;
  const plain: TransformStep[] = mirrorView
    ? [...pipelines.evalPipeline, { op: 'randomHorizontalFlip', p: 0.5 }]
    : [...pipelines.evalPipeline];
  if (augViews === 0) return { trainPipeline: plain };
  return {
    trainPipeline: pipelines.trainPipeline,
    plainView: { pipeline: plain, probability: plainViews / (plainViews + augViews) },
  };
}
