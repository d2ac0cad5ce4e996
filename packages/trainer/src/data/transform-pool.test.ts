/**
 * Worker-thread photo jobs must give exactly the floats (and cache look-ups) the main thread
 * gives (the feature cache does not record where a view was computed) and report bad files the
 * same way. Runs the compiled worker from dist/ (built by `npm install`), since a worker thread
 * cannot load .ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultEvalPipeline } from '@ferry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { badFiles, syntheticJpeg } from '../test-support/synthetic.js';
import { featureTrainPipeline } from '../train/pipelines.js';
import { featureCachePath } from './feature-cache-files.js';
import { runImageJob } from './image-job.js';
import { type PhotoViewsJob, runPhotoViewsJob } from './photo-views-job.js';
import { createTransformPool, type TransformPool } from './transform-pool.js';

const workerUrl = new URL('../../dist/data/transform-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(workerUrl));
if (!built)
  console.warn('\n!!! transform-pool test needs the built trainer: run `npx tsc -p tsconfig.build.json`\n');

const normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 } as const;
const job = (path: string, cacheDir: string): PhotoViewsJob => ({
  path,
  seed: 42,
  cacheDir,
  normalization,
  views: [
    { view: 0, pipeline: defaultEvalPipeline(224, 224) },
    { view: 1, pipeline: featureTrainPipeline(224, 224) },
    { view: 2, pipeline: featureTrainPipeline(224, 224) },
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
    'gives bit-identical inputs to the in-process path, the same cache look-ups and skip reasons',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ferry-pool-'));
      try {
        pool = createTransformPool(2, workerUrl)!;
        expect(pool.size).toBe(2);
        const cacheDir = join(dir, 'cache');
        const paths = await Promise.all(
          [0, 1, 0, 1].map(async (label, i) => {
            const path = join(dir, `p${i}.jpg`);
            await writeFile(path, await syntheticJpeg(label, 500 + i, 300, 200));
            return path;
          }),
        );
        const results = await Promise.all(paths.map((path) => pool!.run(job(path, cacheDir))));
        for (const [i, path] of paths.entries()) {
          const here = await runPhotoViewsJob(job(path, cacheDir));
          const there = results[i]!;
          if ('error' in here || 'error' in there) throw new Error('decode failed');
          expect(there.hash).toBe(here.hash);
          expect(there.views.map((v) => [v.view, v.cachePath, v.features])).toEqual(
            here.views.map((v) => [v.view, featureCachePath(cacheDir, here.hash, v.view, 42), undefined]),
          );
          expect(there.views[0]!.input!.length).toBe(224 * 224 * 3);
          // Byte comparison: a deep toEqual over 150k floats takes minutes.
          for (let v = 0; v < 3; v++)
            expect(
              Buffer.from(there.views[v]!.input!.buffer).equals(Buffer.from(here.views[v]!.input!.buffer)),
            ).toBe(true);
        }
        // A view the cache holds comes back as its features, and is not computed again.
        const first = results[0]!;
        if ('error' in first) throw new Error('decode failed');
        const cached = Float32Array.from({ length: 8 }, (_, i) => i / 8);
        await mkdir(dirname(first.views[1]!.cachePath), { recursive: true });
        await writeFile(first.views[1]!.cachePath, cached);
        const again = await pool.run(job(paths[0]!, cacheDir));
        if ('error' in again) throw new Error('decode failed');
        expect(again.views.map((v) => [v.features !== undefined, v.input !== undefined])).toEqual([
          [false, true],
          [true, false],
          [false, true],
        ]);
        expect([...again.views[1]!.features!]).toEqual([...cached]);
        const bad = await badFiles();
        for (const [name, bytes] of Object.entries(bad)) {
          const path = join(dir, name);
          await writeFile(path, bytes);
          const there = await pool.run(job(path, cacheDir));
          const here = await runPhotoViewsJob(job(path, cacheDir));
          expect(there).toEqual(here);
          expect('error' in there && there.error.length > 0).toBe(true);
        }
        const missing = await pool.run(job(join(dir, 'gone.jpg'), cacheDir));
        expect(missing).toEqual({ error: 'cannot read file (ENOENT)' });
        // Image jobs (report thumbnails): the same pixels as in-process, and the same failures.
        const thumb = { kind: 'image' as const, path: paths[1]!, decode: { minShorterSide: 64 }, steps: [] };
        const steps = defaultEvalPipeline(56, 56);
        const [there, here] = await Promise.all([
          pool.image({ ...thumb, steps }),
          runImageJob({ ...thumb, steps }),
        ]);
        if (!('image' in there) || !('image' in here)) throw new Error('decode failed');
        expect([there.image.width, there.image.height]).toEqual([56, 56]);
        expect(Buffer.from(there.image.data).equals(Buffer.from(here.image.data))).toBe(true);
        expect(await pool.image({ ...thumb, path: join(dir, 'gone.jpg') })).toEqual(
          await runImageJob({ ...thumb, path: join(dir, 'gone.jpg') }),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
