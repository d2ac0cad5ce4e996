/**
 * `train()` in the default features mode on photos and a random-weight backbone the test makes
 * itself: the run directory contract, the skipped-file summary, the feature-cache hit path,
 * same seed → same metrics, and `evaluateRun` agreeing with training.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelSpec } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { badFiles } from '../test-support/synthetic.js';
import { readRunState, useTrainFixture } from '../test-support/train-fixture.js';
import { evaluateRun } from './evaluate.js';
import type { TrainEvent } from './options.js';
import { type TrainResult, train } from './train.js';

const { root, data, backbone } = useTrainFixture('train-features', {
  trainPerClass: 8,
  valPerClass: 4,
  prepare: async (fixture) => {
    for (const [name, bytes] of Object.entries(await badFiles()))
      await writeFile(join(fixture.data, 'train', 'ants', name), bytes);
  },
});

const base = () => ({
  data,
  backbone,
  featureLayer: 'out_relu',
  backend: 'wasm' as const,
  epochs: 6,
  batchSize: 8,
  lr: 0.01,
  augViews: 1,
  exportOnnx: false,
});

describe('train: features mode', () => {
  let first: TrainResult;
  const events: TrainEvent[] = [];

  it('writes spec, checkpoint, metrics, predictions and report, and lists the bad files', async () => {
    const out = join(root, 'run-a');
    first = await train({ ...base(), out, onProgress: (e) => events.push(e) });
    // Synthetic classes differ by colour: even a random backbone separates them.
    expect(first.valAccuracy).toBeGreaterThanOrEqual(0.75);
    expect(first.skipped.map((s) => s.path.split('/').pop()).sort()).toEqual([
      'empty.jpg',
      'notes.jpg',
      'truncated.jpg',
    ]);
    expect(first.skipped.find((s) => s.path.endsWith('empty.jpg'))!.reason).toMatch(/empty file/);
    expect(events.filter((e) => e.type === 'skip')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(6);

    const spec = parseModelSpec(JSON.parse(await readFile(join(out, 'spec.json'), 'utf8')));
    expect(spec.labels).toEqual(['ants', 'bees']);
    expect(spec.training?.trainCount).toBe(16);
    expect(existsSync(join(out, 'checkpoint', 'model.json'))).toBe(true);

    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.history).toHaveLength(6);
    expect(Object.keys(metrics.history[0]).sort()).toEqual(
      [
        'epoch',
        'imagesPerSecond',
        'lr',
        'seconds',
        'trainAccuracy',
        'trainLoss',
        'valAccuracy',
        'valLoss',
      ].sort(),
    );
    expect(metrics.valAccuracy).toBe(first.valAccuracy);
    expect(Object.keys(metrics.perClass)).toEqual(['ants', 'bees']);
    expect(metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(8);
    expect(metrics.skipped).toHaveLength(3);
    expect(metrics.classCounts.train).toEqual({ ants: 11, bees: 8 });

    const csv = (await readFile(join(out, 'predictions.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('path,label,predicted,probability');
    expect(csv).toHaveLength(9);
    expect(csv[1]).toMatch(/^val\/ants\/img_000\.jpg,ants,(ants|bees),0\.\d{6}$/);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Confusion matrix</h2>');
    expect(html).toContain('<h2>Training samples, as the model saw them</h2>');
    expect(html).toContain('Val predictions');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(2);
    expect(html.match(/data:image\/jpeg;base64/g)?.length).toBeGreaterThanOrEqual(8 + 8);
    // Self-contained: nothing fetched from elsewhere (the SVG xmlns is a name, not a fetch).
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    // The interrupted-run state is gone only in the sense that it is marked complete.
    expect((await readRunState(out)).completed).toBe(true);
  });

  it('a second run with other head settings reads every feature from the cache', async () => {
    // Per training photo: the plain view (no mirror by default) and augViews: 1 random crop.
    expect(first.featureCache).toEqual({ hits: 0, misses: 16 * 2 + 8, backboneImages: 16 * 2 + 8 });
    const second = await train({ ...base(), out: join(root, 'run-b'), lr: 0.003, optimizer: 'sgd' });
    expect(second.featureCache).toEqual({ hits: 16 * 2 + 8, misses: 0, backboneImages: 0 });
  });

  it('same seed gives the same metrics; the checkpoint evaluates to the reported accuracy', async () => {
    const again = await train({ ...base(), out: join(root, 'run-c') });
    expect(again.history.map((h) => [h.trainLoss, h.valLoss, h.valAccuracy])).toEqual(
      first.history.map((h) => [h.trainLoss, h.valLoss, h.valAccuracy]),
    );
    expect(again.metrics).toEqual(first.metrics);
    const evaluated = await evaluateRun({ runDir: join(root, 'run-a'), data, backend: 'wasm' });
    expect(evaluated.metrics.accuracy).toBe(first.valAccuracy);
    expect(evaluated.metrics.confusion).toEqual(first.metrics.confusion);
  });

  it('refuses to overwrite a finished run', async () => {
    await expect(train({ ...base(), out: join(root, 'run-a') })).rejects.toThrow(/already holds a run/);
  });
});
