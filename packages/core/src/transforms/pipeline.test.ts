import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { createRandom } from '../random.js';
import { parseTransformSteps } from '../spec/parse.js';
import {
  applyTransforms,
  defaultEvalPipeline,
  defaultTrainPipeline,
  isRandomPipeline,
  pipelineOutputSize,
} from './pipeline.js';

const noise = (width: number, height: number, seed: number): Image => {
  const r = createRandom(seed);
  return {
    width,
    height,
    channels: 3,
    data: Uint8Array.from({ length: width * height * 3 }, () => r.int(0, 255)),
  };
};

describe('transform pipelines', () => {
  it('eval pipeline: 500x375 -> shorter side 256 (341x256) -> centre 224x224', () => {
    const steps = defaultEvalPipeline(224, 224);
    expect(pipelineOutputSize(steps, 500, 375)).toEqual({ width: 224, height: 224 });
    const out = applyTransforms(noise(500, 375, 1), steps);
    expect(out).toMatchObject({ width: 224, height: 224 });
    expect(isRandomPipeline(steps)).toBe(false);
  });

  it('survives a JSON round trip and replays identically with the same seed', () => {
    const steps = parseTransformSteps(JSON.parse(JSON.stringify(defaultTrainPipeline(64, 64, 0.3))), 'steps');
    expect(isRandomPipeline(steps)).toBe(true);
    const img = noise(120, 90, 2);
    const a = applyTransforms(img, steps, createRandom(11));
    const b = applyTransforms(img, steps, createRandom(11));
    const c = applyTransforms(img, steps, createRandom(12));
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    expect(a).toMatchObject({ width: 64, height: 64 });
  });

  it('random steps without a Random are an error, not a silent default', () => {
    expect(() => applyTransforms(noise(10, 10, 3), defaultTrainPipeline(8, 8))).toThrow(
      /needs a seeded Random/,
    );
  });

  it('predicts output sizes for every op', () => {
    expect(pipelineOutputSize([{ op: 'squareCrop' }], 30, 20)).toEqual({ width: 20, height: 20 });
    expect(pipelineOutputSize([{ op: 'resizeShorterSide', size: 10 }], 30, 20)).toEqual({
      width: 15,
      height: 10,
    });
    expect(
      pipelineOutputSize(
        [
          { op: 'resize', width: 3, height: 4 },
          { op: 'randomHorizontalFlip', p: 1 },
        ],
        30,
        20,
      ),
    ).toEqual({
      width: 3,
      height: 4,
    });
  });
});
