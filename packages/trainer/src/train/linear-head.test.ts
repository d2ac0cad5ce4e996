/**
 * @ferry/model's plain-TypeScript linear head must train as the tfjs head does (train-step.ts's
 * loss, optimizer.ts): same seeded start, same batches, weights within float32 rounding after many
 * steps, for adamw (the default), adam with coupled L2 and momentum SGD, with label smoothing.
 * (Its SIMD kernels are tested in @ferry/model, head-kernels.test.ts.)
 */

import { buildHead, LinearHead, type OptimizerName } from '@ferry/model';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/index.js';
import { createOptimizer } from './optimizer.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const dim = 37;
const classes = 3;
const n = 50;
// Deterministic features with some class signal, in the range pooled ReLU6 features take.
const x = Float32Array.from({ length: n * dim }, (_, i) => Math.abs(Math.sin(i * 0.37)) * 3);
const y = Array.from({ length: n }, (_, i) => i % classes);
for (let r = 0; r < n; r++) x[r * dim + y[r]!]! += 2;
const batches = [
  [0, 5, 7, 9, 11, 13, 17, 22],
  [1, 2, 3, 4, 6, 8, 10],
  [12, 14, 15, 16, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35],
  [36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49],
];

function tfjsReference(optimizer: OptimizerName, weightDecay: number, labelSmoothing: number, lrs: number[]) {
  const head = buildHead(tf, dim, { hiddenUnits: [], dropout: 0, numClasses: classes, seed: 3 });
  const [kernel, bias] = head.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const opt = createOptimizer(tf, optimizer, weightDecay);
  const vars = head.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  lrs.forEach((lr, s) => {
    const idx = batches[s % batches.length]!;
    const rows = new Float32Array(idx.length * dim);
    idx.forEach((r, i) => rows.set(x.subarray(r * dim, (r + 1) * dim), i * dim));
    const { value, grads } = tf.tidy(() =>
      tf.variableGrads(() => {
        const labels = tf
          .oneHot(
            tf.tensor1d(
              idx.map((r) => y[r]!),
              'int32',
            ),
            classes,
          )
          .toFloat();
        const logits = head.apply(tf.tensor2d(rows, [idx.length, dim]), { training: true }) as tf.Tensor;
        let loss = tf.losses.softmaxCrossEntropy(labels, logits, undefined, labelSmoothing) as tf.Scalar;
        if (optimizer !== 'adamw' && weightDecay > 0)
          for (const v of vars)
            if (v.name.includes('kernel'))
              loss = loss.add(
                v
                  .square()
                  .sum()
                  .mul(weightDecay / 2),
              );
        return loss;
      }, vars),
    );
    opt.step(grads, vars, lr);
    losses.push(value.dataSync()[0]!);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const [k, b] = head.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  return { init: { kernel: kernel!, bias: bias! }, kernel: k!, bias: b!, losses };
}

describe('linear head', () => {
  for (const [optimizer, weightDecay, labelSmoothing] of [
    ['adamw', 1, 0.1],
    ['adam', 0.01, 0],
    ['sgd', 0.001, 0.1],
  ] as const) {
    it(`${optimizer} (weight decay ${weightDecay}, label smoothing ${labelSmoothing}) matches tfjs`, () => {
      const lrs = Array.from({ length: 24 }, (_, s) => 0.01 * (1 - s / 30));
      const ref = tfjsReference(optimizer, weightDecay, labelSmoothing, lrs);
      const head = new LinearHead({
        dim,
        classes,
        optimizer,
        weightDecay,
        labelSmoothing,
        kernel: ref.init.kernel,
        bias: ref.init.bias,
      });
      const losses = lrs.map((lr, s) => head.step(x, y, batches[s % batches.length]!, lr).loss);
      for (const [i, loss] of losses.entries()) expect(loss).toBeCloseTo(ref.losses[i]!, 4);
      const maxDiff = (a: Float32Array, b: Float32Array) =>
        a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      expect(maxDiff(head.kernel(), ref.kernel)).toBeLessThan(1e-4);
      expect(maxDiff(head.bias(), ref.bias)).toBeLessThan(1e-4);
      // The weights moved: the comparison is not between two untouched initialisations.
      expect(maxDiff(head.kernel(), ref.init.kernel)).toBeGreaterThan(1e-2);
      // predict() is x·W + b with the trained weights.
      const logits = head.predict(x, 2);
      const k = head.kernel();
      const b = head.bias();
      for (let c = 0; c < classes; c++) {
        let s = b[c]!;
        for (let j = 0; j < dim; j++) s += x[dim + j]! * k[j * classes + c]!;
        expect(logits[classes + c]).toBeCloseTo(s, 4);
      }
    });
  }
});
