/**
 * A view that mirrors an earlier one (`mirrorOf`) is that view's image flipped: the same floats
 * as running the pipeline again with a certain flip, at the cost of a flip.
 */
import { defaultEvalPipeline } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { syntheticJpeg } from '../test-support/synthetic.js';
import { runTransformJob } from './transform-job.js';

const normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 } as const;

describe('transform job', () => {
  it('mirrorOf flips the referenced view: equal to the pipeline plus a flip with p = 1', async () => {
    const bytes = await syntheticJpeg(1, 7, 300, 200);
    const plain = defaultEvalPipeline(224, 224);
    const flipped = [...plain, { op: 'randomHorizontalFlip', p: 1 } as const];
    const shared = await runTransformJob({
      bytes,
      path: 'a.jpg',
      normalization,
      views: [
        { view: 0, pipeline: plain, seed: 1 },
        { view: -1, pipeline: flipped, seed: 2, mirrorOf: 0 },
      ],
    });
    const direct = await runTransformJob({
      bytes,
      path: 'a.jpg',
      normalization,
      views: [{ view: -1, pipeline: flipped, seed: 3 }],
    });
    if (!('inputs' in shared) || !('inputs' in direct)) throw new Error('decode failed');
    expect(Buffer.from(shared.inputs[1]!.buffer).equals(Buffer.from(direct.inputs[0]!.buffer))).toBe(true);
    // And it is a mirror: pixel (x, y) of one is pixel (223 - x, y) of the other.
    const [a, b] = shared.inputs as [Float32Array, Float32Array];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    for (const [x, y] of [
      [0, 0],
      [10, 100],
      [223, 5],
    ] as const)
      for (let c = 0; c < 3; c++) expect(b[(y * 224 + (223 - x)) * 3 + c]).toBe(a[(y * 224 + x) * 3 + c]);
  });
});
