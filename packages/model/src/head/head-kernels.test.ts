/**
 * The head's SIMD kernels (head-kernels.wat) against the plain sums they replace, at every shape
 * the blocking splits, and the open-set fit's kNN products on them. The head trained on them is
 * checked step by step against the trainer's tfjs head in @ferry/trainer (linear-head.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { align16, createHeadKernels, matMulTransposed, paddedWidth, writeRows } from './head-kernels.js';

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
