import { seededFloats } from '@ferry/fixtures/onnx';
import { describe, expect, it } from 'vitest';
import { quantizePerChannel } from './weight-precision.js';

function error(values: Float32Array, dims: number[], axis: number) {
  const { q, scales } = quantizePerChannel(values, dims, axis);
  const inner = dims.slice(axis + 1).reduce((a, v) => a * v, 1);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % (dims[axis] as number);
    sum += (values[i]! - q[i]! * scales[c]!) ** 2;
  }
  return { sum, q, scales };
}

describe('quantizePerChannel', () => {
  it('gives each output channel its own scale (axis 0 and axis 1 layouts)', () => {
    // Channel c holds values of magnitude 10^c: one shared scale would zero channel 0.
    const dims = [3, 4];
    const values = Float32Array.from(
      { length: 12 },
      (_, i) => (i % 2 ? -1 : 1) * 10 ** Math.floor(i / 4) * (1 + (i % 4)),
    );
    const { q, scales } = error(values, dims, 0);
    expect(scales[2]! / scales[0]!).toBeCloseTo(100, 0);
    expect(Math.max(...Array.from(q.subarray(0, 4), Math.abs))).toBeGreaterThan(100);
    const transposed = Float32Array.from({ length: 12 }, (_, i) => values[(i % 3) * 4 + Math.floor(i / 3)]!);
    expect(Array.from(error(transposed, [4, 3], 1).scales)).toEqual(Array.from(scales));
  });

  it('clips a lone outlier when that lowers the rounding error of the channel', () => {
    const values = seededFloats(512, 5, -0.1, 0.1);
    values[7] = 1.5; // one outlier
    const { sum, scales } = error(values, [1, 512], 0);
    expect(scales[0]!).toBeLessThan(1.5 / 127);
    const naive = values.reduce((s, v) => {
      const scale = 1.5 / 127;
      return s + (v - Math.round(v / scale) * scale) ** 2;
    }, 0);
    expect(sum).toBeLessThan(naive);
  });

  it('an all-zero channel quantizes to zeros', () => {
    const { q, scales } = error(new Float32Array(8), [2, 4], 0);
    expect(Array.from(q)).toEqual(new Array(8).fill(0));
    expect(Array.from(scales)).toEqual([1, 1]);
  });
});
