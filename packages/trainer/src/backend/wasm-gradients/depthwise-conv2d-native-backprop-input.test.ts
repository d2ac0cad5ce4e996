import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasm } from '../wasm.js';
import { depthwiseCases, depthwiseGradients } from './depthwise-cases.js';
import { relativeError, runOnBackend } from './gradient-check.js';

// Compares our wasm DepthwiseConv2dNativeBackpropInput with the cpu backend's on the same seeded inputs.
describe('wasm DepthwiseConv2dNativeBackpropInput', () => {
  beforeAll(async () => {
    await activateWasm(tf);
  });

  it.each(depthwiseCases.map((c, i) => [c.name, c, i] as const))('matches cpu: %s', async (_name, c, i) => {
    const cpu = await runOnBackend('cpu', depthwiseGradients(c, 200 + i, true));
    const wasm = await runOnBackend('wasm', depthwiseGradients(c, 200 + i, false));
    const ours = wasm[0] as Float32Array;
    expect(ours.length).toBe(tf.util.sizeFromShape(c.x));
    expect(relativeError(ours, cpu[0] as Float32Array)).toBeLessThan(1e-5);
  });

  it('returns zeros for a zero upstream gradient (no stale heap memory)', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 6, 6, 3]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 3, 2]) as tf.Tensor4D;
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      tf
        .depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 'same')
        .mul(0)
        .sum(),
    )([x, w]);
    const values = dx?.dataSync() ?? [];
    expect(values.length).toBeGreaterThan(0);
    expect(Array.from(values).every((v) => v === 0)).toBe(true);
    tf.dispose([x, w, dx, dw]);
  });
});
