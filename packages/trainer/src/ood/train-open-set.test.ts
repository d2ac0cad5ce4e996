/**
 * The open-set answer as `ferry train` writes it, in features mode (fitted on the cached
 * features it already holds) and freeze mode (fitted on the checkpoint run over the photos):
 * the spec's openSet section, the parameters beside the checkpoint, a threshold that rejects at
 * most 5 % of val photos, and an exported graph whose score on the val photos is the one the
 * fit used (the training-time features are the graph's features).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelSpec } from '@ferry/core';
import { DEFAULT_OPEN_SET_METHOD, scoreOpenSet } from '@ferry/model';
import { describe, expect, it } from 'vitest';
import { decodeImageFile } from '../data/decode.js';
import { loadOnnxClassifier } from '../predict/onnx-classifier.js';
import { useTrainFixture } from '../test-support/train-fixture.js';
import type { TrainMode } from '../train/options.js';
import { train } from '../train/train.js';
import { openPhotoScorer } from './collect.js';
import { readOpenSetParams } from './store.js';

const { root, data, backbone } = useTrainFixture('train-open-set', { trainPerClass: 8, valPerClass: 10 });

async function valPaths(): Promise<{ path: string; label: number }[]> {
  const out = [];
  for (const [label, name] of ['ants', 'bees'].entries())
    for (const f of (await readdir(join(data, 'val', name))).sort())
      out.push({ path: join(data, 'val', name, f), label });
  return out;
}

describe.each([['features'], ['freeze']] as [TrainMode][])(
  'train --mode %s fits the open-set answer',
  (mode) => {
    it('spec.openSet, params on disk, <= 5 % of val rejected, and the exported score is the fitted one', async () => {
      const out = join(root, `run-${mode}`);
      await train({
        data,
        out,
        backbone,
        featureLayer: 'out_relu',
        backend: 'wasm',
        mode,
        epochs: 2,
        batchSize: 8,
        augViews: 1,
        report: false,
      });
      const spec = parseModelSpec(JSON.parse(await readFile(join(out, 'spec.json'), 'utf8')));
      const os = spec.openSet!;
      expect(os).toMatchObject({
        method: DEFAULT_OPEN_SET_METHOD,
        scoreOutput: 'ood_score',
        probabilitiesOutput: 'calibrated_probabilities',
      });
      expect(os.valRejected).toBeLessThanOrEqual(0.05);
      expect(os.temperature).toBeGreaterThan(0);
      expect(existsSync(join(out, 'open-set', 'params.bin'))).toBe(true);

      const params = (await readOpenSetParams(out))!;
      const samples = await valPaths();
      const scorer = await openPhotoScorer(out, spec);
      const collected = await scorer.collect(samples);
      await scorer.dispose();
      const fitted = scoreOpenSet(params, collected.features, collected.logits, os.temperature);
      const model = await loadOnnxClassifier(join(out, 'model.onnx'));
      let rejected = 0;
      for (const [i, s] of collected.samples.entries()) {
        const r = await model.classifier.classify((await decodeImageFile(s.path)).image);
        expect(Math.abs(r.oodScore! - fitted[i]!)).toBeLessThan(1e-4);
        if (r.unknown) rejected++;
      }
      await model.release();
      expect(rejected / collected.samples.length).toBeLessThanOrEqual(0.05);
      // The exported model rejects the val photos the fit's threshold rejected (within one photo).
      expect(Math.abs(rejected / collected.samples.length - os.valRejected!)).toBeLessThanOrEqual(
        1 / collected.samples.length + 1e-9,
      );
    });
  },
);
