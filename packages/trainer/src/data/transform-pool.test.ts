/**
 * Worker-thread preprocessing must give exactly the floats the main thread gives (the feature
 * cache does not record where a view was computed) and report bad files the same way. Runs the
 * compiled worker from dist/ (built by `npm install`), since a worker thread cannot load .ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultEvalPipeline } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { badFiles, syntheticJpeg } from '../test-support/synthetic.js';
import { featureTrainPipeline } from '../train/pipelines.js';
import { runTransformJob, type TransformJob } from './transform-job.js';
import { createTransformPool, type TransformPool } from './transform-pool.js';

const workerUrl = new URL('../../dist/data/transform-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(workerUrl));
if (!built)
  console.warn('\n!!! transform-pool test needs the built trainer: run `npx tsc -p tsconfig.build.json`\n');

const normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 } as const;
const job = (bytes: Uint8Array, path: string): TransformJob => ({
  bytes,
  path,
  normalization,
  views: [
    { view: 0, pipeline: defaultEvalPipeline(224, 224), seed: 1 },
    { view: 1, pipeline: featureTrainPipeline(224, 224), seed: 2 },
    { view: 2, pipeline: featureTrainPipeline(224, 224), seed: 3 },
  ],
});

describe('transform pool', () => {
  let pool: TransformPool | undefined;
  afterAll(async () => {
    await pool?.close();
  });

  it('is absent when there is no compiled worker (callers run jobs in-process)', () => {
    expect(createTransformPool(2, undefined)).toBeUndefined();
  });

  it.runIf(built)(
    'gives bit-identical inputs to the in-process path, and the same skip reasons',
    async () => {
      pool = createTransformPool(2, workerUrl)!;
      expect(pool.size).toBe(2);
      const photos = await Promise.all(
        [0, 1, 0, 1].map((label, i) => syntheticJpeg(label, 500 + i, 300, 200)),
      );
      const results = await Promise.all(photos.map((bytes, i) => pool!.run(job(bytes, `p${i}.jpg`))));
      for (const [i, bytes] of photos.entries()) {
        const here = await runTransformJob(job(bytes, `p${i}.jpg`));
        const there = results[i]!;
        if (!('inputs' in here) || !('inputs' in there)) throw new Error('decode failed');
        expect(there.inputs).toHaveLength(3);
        expect(there.inputs[0]!.length).toBe(224 * 224 * 3);
        // Byte comparison: a deep toEqual over 150k floats takes minutes.
        for (let v = 0; v < 3; v++)
          expect(Buffer.from(there.inputs[v]!.buffer).equals(Buffer.from(here.inputs[v]!.buffer))).toBe(true);
      }
      const bad = await badFiles();
      for (const [name, bytes] of Object.entries(bad)) {
        const there = await pool.run(job(bytes, name));
        const here = await runTransformJob(job(bytes, name));
        expect(there).toEqual(here);
        expect('error' in there && there.error.length > 0).toBe(true);
      }
    },
  );
});
