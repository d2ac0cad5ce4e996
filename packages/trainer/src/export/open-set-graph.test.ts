/**
 * The open-set outputs of an exported file, for every method: onnxruntime-node and -web compute
 * the same score as @ferry/model's float64 reference (open-set/methods/) from the checkpoint's own
 * features, the calibrated probabilities are softmax(logits / T), onnx.checker accepts the graph
 * at opsets 13/17/18 and fp16/int8, and compressed files keep the score. Models from before
 * (no openSet) keep exactly their two outputs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPEN_SET_METHODS, type OpenSetMethod, softmaxWithTemperature } from '@ferry/core';
import {
  haveOnnxChecker,
  maxAbsDiff,
  onnxCheckerErrors,
  runOrtNode,
  runOrtWeb,
  seededFloats,
} from '@ferry/fixtures/onnx';
import { decodeOnnxModel, scoreOpenSet } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';
import { readOpenSetParams, writeOpenSetParams } from '../ood/store.js';
import { loadOnnxClassifier } from '../predict/onnx-classifier.js';
import { createTinyRun } from '../test-support/index.js';
import { exportRunToOnnx, loadTfForExport } from './run-export.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-open-set-graph-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const labels = ['ants', 'bees', 'wasps'];
const SIZE = 32;
const N = 5;
const batch = seededFloats(N * SIZE * SIZE * 3, 11);
const dims = [N, SIZE, SIZE, 3];

/** The checkpoint's pooled features and logits for the test batch, computed by tfjs. */
async function reference(runDir: string) {
  const tf = await loadTfForExport();
  const model = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
  const both = tf.model({
    inputs: model.inputs,
    outputs: [model.getLayer('ferry_pool').output as tfTypes.SymbolicTensor, model.outputs[0]!],
  });
  const [f, l] = both.predict(tf.tensor(batch, dims)) as tfTypes.Tensor[];
  const features = { data: f!.dataSync() as Float32Array, rows: N, dim: f!.shape[1] as number };
  const logits = l!.arraySync() as number[][];
  tf.dispose([f!, l!]);
  model.dispose();
  return { features, logits };
}

describe.each(OPEN_SET_METHODS.map((m) => [m]))('open-set output: %s', (method: OpenSetMethod) => {
  const runDir = join(root, method);
  let file: string;

  it('ort-node and ort-web agree with the float64 reference within 1e-4 (score and calibrated probabilities)', async () => {
    const { spec } = await createTinyRun(runDir, { labels, seed: 4, openSet: method });
    file = (await exportRunToOnnx({ runDir })).path;
    const bytes = readFileSync(file);
    const params = (await readOpenSetParams(runDir))!;
    const ref = await reference(runDir);
    const T = spec.openSet!.temperature;
    const expected = scoreOpenSet(params, ref.features, ref.logits, T);
    const calibrated = ref.logits.flatMap((row) => softmaxWithTemperature(row, T));
    for (const run of [runOrtNode, runOrtWeb]) {
      const out = await run(bytes, { input: { data: batch, dims } });
      expect(out.ood_score!.dims).toEqual([N]);
      // Relative for Mahalanobis distances (tens), absolute for the bounded scores.
      const scale = Math.max(1, ...Array.from(expected, Math.abs));
      expect(maxAbsDiff(out.ood_score!.data, expected) / scale).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.calibrated_probabilities!.data, calibrated)).toBeLessThan(1e-4);
    }
  });

  it('the classifier reports unknown exactly when the score is above the spec threshold', async () => {
    const model = await loadOnnxClassifier(file);
    const out = await runOrtNode(readFileSync(file), { input: { data: batch, dims } });
    const threshold = model.spec.openSet!.threshold;
    const { width, height } = model.spec.input;
    const images = Array.from({ length: 3 }, (_, k) => ({
      width: width + k * 9,
      height: height + k * 5,
      channels: 3 as const,
      data: Uint8Array.from(seededFloats((width + k * 9) * (height + k * 5) * 3, 20 + k, 0, 255), Math.floor),
    }));
    const results = await model.classifier.classifyBatch(images);
    await model.release();
    for (const r of results) {
      expect(typeof r.oodScore).toBe('number');
      expect(r.unknown).toBe(r.oodScore! > threshold);
    }
    expect(out.ood_score!.data.every(Number.isFinite)).toBe(true);
  });

  it('fp16 and int8 files keep the score (and int8 leaves the open-set tensors out of int8)', async () => {
    const base = (await runOrtNode(readFileSync(file), { input: { data: batch, dims } })).ood_score!.data;
    const scale = Math.max(1, ...Array.from(base, Math.abs));
    for (const precision of ['fp16', 'int8'] as const) {
      const out = join(runDir, `model-${precision}.onnx`);
      await exportRunToOnnx({ runDir, out, precision });
      const bytes = readFileSync(out);
      const score = (await runOrtNode(bytes, { input: { data: batch, dims } })).ood_score!.data;
      expect(maxAbsDiff(score, base) / scale).toBeLessThan(precision === 'fp16' ? 5e-3 : 5e-2);
      const names = decodeOnnxModel(bytes).graph!.initializer!.map((t) => t.name!);
      expect(names.filter((n) => n.startsWith('open_set/') && n.endsWith('_int8'))).toEqual([]);
    }
  });
});

it.runIf(haveOnnxChecker('onnx.checker on open-set exports'))(
  'onnx.checker full_check passes for every method at opsets 13, 17, 18 and fp16/int8',
  async () => {
    const files: string[] = [];
    for (const method of OPEN_SET_METHODS) {
      const runDir = join(root, method);
      for (const [precision, opset] of [
        ['fp32', 17],
        ['fp32', 13],
        ['fp32', 18],
        ['fp16', 17],
        ['int8', 17],
      ] as const) {
        const out = join(runDir, `check-${precision}-${opset}.onnx`);
        await exportRunToOnnx({ runDir, out, precision, opset });
        files.push(out);
      }
    }
    const { errors, tooNew } = onnxCheckerErrors(files);
    expect(errors).toEqual({});
    // Every file is really checked (none skipped as newer than the installed onnx).
    expect(tooNew).toEqual([]);
  },
);

it('a model from before open-set support keeps exactly its two outputs and answers without unknown', async () => {
  const runDir = join(root, 'old');
  await createTinyRun(runDir, { labels, seed: 4 });
  const file = (await exportRunToOnnx({ runDir })).path;
  const outputs = decodeOnnxModel(readFileSync(file)).graph!.output!.map((o) => o.name);
  expect(outputs).toEqual(['logits', 'probabilities']);
  const model = await loadOnnxClassifier(file);
  const r = await model.classifier.classify({
    width: 40,
    height: 40,
    channels: 3,
    data: new Uint8Array(4800).fill(90),
  });
  await model.release();
  expect(r.unknown).toBeUndefined();
  expect(r.oodScore).toBeUndefined();
});

it('hybrid parameters fitted before the logit weight existed export the plain sum, as they did', async () => {
  const runDir = join(root, 'hybrid-before-weight');
  const { spec } = await createTinyRun(runDir, { labels, seed: 4, openSet: 'knn-cosine+energy' });
  const fitted = (await readOpenSetParams(runDir))!;
  if (fitted.method !== 'knn-cosine+energy') throw new Error(`fitted ${fitted.method}`);
  expect(fitted.logitWeight).toBeCloseTo(1 - 1 / labels.length, 12);
  // The parameters as an older Ferry wrote them: no logitWeight.
  const { logitWeight: _w, ...before } = fitted;
  await writeOpenSetParams(runDir, before);
  const bytes = readFileSync((await exportRunToOnnx({ runDir })).path);
  const ref = await reference(runDir);
  const T = spec.openSet!.temperature;
  const knn = scoreOpenSet({ ...before, method: 'knn-cosine' }, ref.features, ref.logits, T);
  const energy = scoreOpenSet(
    { method: 'energy', dim: before.dim, classes: before.classes },
    ref.features,
    ref.logits,
    T,
  );
  const [ma, sa, mb, sb] = before.standardize;
  const plainSum = Array.from(knn, (a, i) => a - ma + (sa / sb) * (energy[i]! - mb));
  const score = (await runOrtNode(bytes, { input: { data: batch, dims } })).ood_score!.data;
  expect(maxAbsDiff(score, plainSum)).toBeLessThan(1e-4);
  // and it is not the weighted sum a new fit exports (the test can tell them apart)
  const weighted = Array.from(knn, (a, i) => a - ma + (2 / 3) * (sa / sb) * (energy[i]! - mb));
  expect(maxAbsDiff(score, weighted)).toBeGreaterThan(1e-3);
});
