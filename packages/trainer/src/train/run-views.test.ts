/**
 * features mode starts decoding before the backbone loads (run-views.ts): the views it starts
 * are exactly the ones a source started after loading reads, the input size comes from the
 * backbone's own model.json, other modes start nothing, and views planned for other pipelines
 * are never used.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeclaredInputSize, resolveBackbone } from '../backbones/resolve.js';
import type { PhotoViewResult } from '../data/photo-views-job.js';
import { useTrainFixture } from '../test-support/train-fixture.js';
import { startViewSource } from './features.js';
import { loadRunData } from './load-data.js';
import { resolveTrainOptions } from './options.js';
import { pipelinesFor } from './pipelines.js';
import { discardEarlyViews, earlyViewsMatch, planRunViews, startEarlyViews } from './run-views.js';

const { root, data, backbone } = useTrainFixture('run-views', { trainPerClass: 4, valPerClass: 2 });

/** Each item with its floats as a digest (a deep toEqual over 150k floats is slow). */
async function drain(stream: AsyncIterator<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  const digest = (a?: Float32Array) => a && createHash('sha256').update(a).digest('hex');
  for (let next = await stream.next(); !next.done; next = await stream.next()) {
    const item = next.value as { sample: unknown; hash: string; views: PhotoViewResult[] };
    out.push({
      ...item,
      views: item.views.map((v) => ({ ...v, input: digest(v.input), features: digest(v.features) })),
    });
  }
  return out;
}

describe('early views', () => {
  it('reads the input size the backbone declares, without TensorFlow.js', async () => {
    expect(await readDeclaredInputSize(join(backbone, 'model.json'))).toEqual({ width: 224, height: 224 });
    const odd = join(root, 'no-input.json');
    await writeFile(odd, JSON.stringify({ modelTopology: { config: { layers: [] } } }));
    expect(await readDeclaredInputSize(odd)).toBeUndefined();
    expect(await readDeclaredInputSize(join(root, 'missing.json'))).toBeUndefined();
  });

  it('starts the same views a later source reads, in features mode only', async () => {
    const options = resolveTrainOptions({
      data,
      backbone,
      featureLayer: 'out_relu',
      augViews: 1,
      out: join(root, 'r'),
    });
    const run = await loadRunData(options, () => undefined);
    const resolved = await resolveBackbone(backbone, { featureLayer: 'out_relu' });
    const early = await startEarlyViews(options, run, resolved, 4);
    if (!early) throw new Error('features mode should start early views');
    const pipelines = pipelinesFor('features', 224, 224);
    expect(earlyViewsMatch(early, pipelines)).toBe(true);
    // Planned for another input size: not used.
    expect(earlyViewsMatch(early, pipelinesFor('features', 160, 160))).toBe(false);
    const later = await planRunViews(resolved, pipelines, run.dataset, options, undefined, 2);
    expect(later.source.dir).toBe(early.plan.source.dir);
    expect(later.samples).toEqual(early.plan.samples);
    const [a, b] = await Promise.all([
      drain(early.source.stream),
      drain(startViewSource(later.samples, later.source).stream),
    ]);
    await discardEarlyViews(early);
    expect(a).toHaveLength(12);
    // Train photos give the plain view and one crop, val photos the plain view; same floats.
    expect(a.map((item) => (item as { views: unknown[] }).views.length)).toEqual([
      ...Array(8).fill(2),
      1,
      1,
      1,
      1,
    ]);
    expect(a).toEqual(b);

    const finetune = resolveTrainOptions({
      data,
      backbone,
      featureLayer: 'out_relu',
      mode: 'finetune',
      out: join(root, 'f'),
    });
    expect(await startEarlyViews(finetune, run, resolved, 4)).toBeUndefined();
  });
});
