import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasm } from '../wasm.js';
import { conv2DBackpropInput } from './conv2d-backprop-input.js';
import { relativeError, runOnBackend, seededValues } from './gradient-check.js';

// dL/dx of sum(conv2d(x, W) * probe) on wasm (our pointwise matmul path, or the stock kernel we
// delegate to) against the cpu backend.
const cases: Array<
  [string, [number, number, number, number], [number, number, number, number], number, 'same' | 'valid']
> = [
  ['1x1 stride 1 valid (matmul path)', [2, 7, 5, 6], [1, 1, 6, 9], 1, 'valid'],
  ['1x1 stride 1 same (matmul path)', [3, 4, 9, 16], [1, 1, 16, 8], 1, 'same'],
  ['1x1 stride 2 (stock kernel)', [2, 7, 7, 4], [1, 1, 4, 5], 2, 'same'],
  ['3x3 stride 2 same (stock kernel)', [2, 9, 8, 3], [3, 3, 3, 4], 2, 'same'],
];

describe('wasm Conv2DBackpropInput replacement', () => {
  beforeAll(async () => {
    await activateWasm(tf);
  });

  it('is the kernel registered for wasm', () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInput);
  });

  it.each(cases)('matches cpu: %s', async (_name, xShape, wShape, strides, pad) => {
    const compute = () => {
      const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(xShape), 11), xShape);
      const w = tf.tensor4d(seededValues(tf.util.sizeFromShape(wShape), 12), wShape);
      const outShape = tf.conv2d(x, w, strides, pad).shape;
      const probe = tf.tensor(seededValues(tf.util.sizeFromShape(outShape), 13), outShape);
      return [
        tf.grad((xi: tf.Tensor) =>
          tf
            .conv2d(xi as tf.Tensor4D, w, strides, pad)
            .mul(probe)
            .sum(),
        )(x),
      ];
    };
    const cpu = await runOnBackend('cpu', compute);
    const wasm = await runOnBackend('wasm', compute);
    expect(wasm[0]?.length).toBe(tf.util.sizeFromShape(xShape));
    expect(relativeError(wasm[0] as Float32Array, cpu[0] as Float32Array)).toBeLessThan(1e-5);
  });
});
