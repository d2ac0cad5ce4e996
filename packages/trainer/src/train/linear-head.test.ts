/**
 * The plain-TypeScript linear head must train as the tfjs head does (train.ts's loss and
 * optimizers): same seeded start, same batches, weights within float32 rounding after many
 * steps, for adamw (the default), adam with coupled L2 and momentum SGD, with label smoothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/index.js';
import { buildHead } from '../model/classifier.js';
import { align16, createHeadKernels, matMulTransposed, paddedWidth, writeRows } from './head-kernels.js';
import { LinearHead } from './linear-head.js';
import { createOptimizer, type OptimizerName } from './optimizer.js';

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

describe('head-kernels.wat', () => {
  it('logits and grad are the plain sums at every shape the blocking splits (classes 1-9, odd rows and widths)', () => {
    const k = createHeadKernels();
    for (const [d, c, rows] of [
      [37, 1, 5],
      [40, 4, 8],
      [41, 5, 9],
      [12, 9, 3],
      [1280, 6, 13],
    ] as const) {
      // Pooled-feature magnitudes (MobileNetV2's average about 0.5) and glorot-sized weights.
      const x = Float32Array.from({ length: rows * d }, (_, i) => Math.abs(Math.sin(i * 0.11)));
      const w = Float32Array.from({ length: c * d }, (_, i) => Math.cos(i) * 0.03);
      const delta = Float32Array.from({ length: rows * c }, (_, i) => Math.sin(i * 0.7) * 0.1);
      const d4 = paddedWidth(d);
      const at = { x: 0, w: align16(rows * d4 * 4), out: 0, d: 0, g: 0 };
      at.out = at.w + align16(c * d4 * 4);
      at.d = at.out + align16(rows * c * 4);
      at.g = at.d + align16(rows * c * 4);
      k.reserve(at.g + c * d4 * 4);
      writeRows(k, at.x, x, d, rows);
      writeRows(k, at.w, w, d, c);
      k.floats().set(delta, at.d / 4);
      k.floats().fill(0, at.g / 4, at.g / 4 + c * d4);
      k.logits(at.x, rows, at.w, c, d4, at.out);
      k.grad(at.d, rows, at.x, d4, c, at.g);
      const f = k.floats();
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < c; j++) {
          let sum = 0;
          for (let q = 0; q < d; q++) sum += x[r * d + q]! * w[j * d + q]!;
          expect(Math.abs(f[at.out / 4 + r * c + j]! - sum), `${d}x${c} logits[${r},${j}]`).toBeLessThan(
            1e-4,
          );
        }
      for (let j = 0; j < c; j++)
        for (let q = 0; q < d; q++) {
          let sum = 0;
          for (let r = 0; r < rows; r++) sum += delta[r * c + j]! * x[r * d + q]!;
          expect(Math.abs(f[at.g / 4 + j * d4 + q]! - sum), `${d}x${c} grad[${j},${q}]`).toBeLessThan(1e-5);
        }
    }
  });
});

describe("matMulTransposed (the open-set fit's kNN products)", () => {
  it('is a times b transposed, for widths with and without padding', () => {
    for (const [aRows, bRows, d] of [
      [3, 5, 37],
      [7, 9, 1280],
    ] as const) {
      const a = Float32Array.from({ length: aRows * d }, (_, i) => Math.sin(i * 0.3));
      const b = Float32Array.from({ length: bRows * d }, (_, i) => Math.cos(i * 0.7));
      const product = matMulTransposed(a, aRows, b, bRows, d)!;
      expect(product).toHaveLength(aRows * bRows);
      for (let r = 0; r < aRows; r++)
        for (let c = 0; c < bRows; c++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += a[r * d + k]! * b[c * d + k]!;
          expect(product[r * bRows + c]).toBeCloseTo(s, 3);
        }
    }
  });
});
