import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasm } from '../wasm.js';
import { relativeError, runOnBackend, seededValues } from './gradient-check.js';

// End to end: every trainable variable's gradient through a small MobileNetV2-shaped block
// (3x3/2 conv -> depthwise 3x3 -> BatchNorm -> ReLU6 -> 1x1 project -> pool -> dense) must be the
// same on wasm (Ferry's kernels + the stock ones) as on the cpu reference, in both BatchNorm modes
// Ferry uses (inference-mode BN while fine-tuning, batch statistics when training a head).
function block(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [17, 15, 3],
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        useBias: false,
      }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization({ axis: -1 }),
      tf.layers.reLU({ maxValue: 6 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 1, useBias: false }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', depthMultiplier: 2 }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3 }),
    ],
  });
}

function gradients(training: boolean): () => tf.Tensor[] {
  return () => {
    const model = block();
    // Identical weights on both backends; BN moving variance kept positive.
    model.setWeights(
      model.getWeights().map((w, i) => {
        const values = seededValues(w.size, 1000 + i);
        const isVariance = model.weights[i]?.name.includes('moving_variance');
        return tf.tensor(isVariance ? values.map((v) => 1 + Math.abs(v)) : values, w.shape);
      }),
    );
    const x = tf.tensor4d(seededValues(4 * 17 * 15 * 3, 77), [4, 17, 15, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    const out = [value, ...vars.map((v) => grads[v.name] as tf.Tensor)];
    model.dispose();
    return out;
  };
}

describe('wasm gradients of a MobileNetV2-like block', () => {
  beforeAll(async () => {
    await activateWasm(tf);
  });

  it.each([
    ['BatchNorm in inference mode (finetune)', false],
    ['BatchNorm with batch statistics', true],
  ] as const)('variableGrads equal cpu: %s', async (_name, training) => {
    const cpu = await runOnBackend('cpu', gradients(training));
    const wasm = await runOnBackend('wasm', gradients(training));
    expect(wasm).toHaveLength(cpu.length);
    // loss + 7 trainable tensors (2 convs, 2 depthwise (+1 bias), BN gamma/beta, dense kernel/bias)
    expect(cpu.length).toBeGreaterThanOrEqual(8);
    cpu.forEach((reference, i) => {
      expect(relativeError(wasm[i] as Float32Array, reference), `tensor ${i}`).toBeLessThan(1e-4);
    });
    // The gradients are not trivially zero: the comparison means something.
    expect(Math.max(...Array.from(cpu[1] as Float32Array).map(Math.abs))).toBeGreaterThan(1e-6);
  });
});
