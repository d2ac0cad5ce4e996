/** The views report.html shows are the views the head trained on, mode by mode. */
import { describe, expect, it } from 'vitest';
import { pipelinesFor, trainedViews } from './pipelines.js';

describe('trainedViews', () => {
  const features = pipelinesFor('features', 224, 224);
  const flip = { op: 'randomHorizontalFlip', p: 0.5 };

  it('features mode by default: the plain view only, no random crop the head never saw', () => {
    expect(trainedViews('features', 0, false, features)).toEqual({ trainPipeline: features.evalPipeline });
    expect(trainedViews('features', 0, true, features)).toEqual({
      trainPipeline: [...features.evalPipeline, flip],
    });
  });

  it('features mode with random crops: the plain view(s) in their share, the crops otherwise', () => {
    expect(trainedViews('features', 2, false, features)).toEqual({
      trainPipeline: features.trainPipeline,
      plainView: { pipeline: features.evalPipeline, probability: 1 / 3 },
    });
    expect(trainedViews('features', 2, true, features).plainView?.probability).toBe(2 / 4);
  });

  it('freeze and finetune: their own pipelines', () => {
    const finetune = pipelinesFor('finetune', 224, 224);
    expect(trainedViews('finetune', 0, false, finetune)).toEqual({
      trainPipeline: finetune.trainPipeline,
      plainView: finetune.plainView,
    });
    const freeze = pipelinesFor('freeze', 224, 224);
    expect(trainedViews('freeze', 0, false, freeze)).toEqual({ trainPipeline: freeze.trainPipeline });
  });
});
