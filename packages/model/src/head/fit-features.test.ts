import { seededFloats } from '@ferry/fixtures/onnx';
import { describe, expect, it } from 'vitest';
import { denseLogits, epochOrder, fitFeatureHead, isBetterEpoch, scoreLogits } from './fit-features.js';
import { LinearHead } from './linear-head.js';

/** Two separable classes in 8 dimensions, with noise. */
function toyFeatures(rows: number, seed: number): { x: Float32Array; labels: number[] } {
  const noise = seededFloats(rows * 8, seed, -0.5, 0.5);
  const labels = Array.from({ length: rows }, (_, i) => i % 2);
  const x = new Float32Array(rows * 8);
  labels.forEach((label, r) => {
    for (let k = 0; k < 8; k++) x[r * 8 + k] = (k < 4 ? label : 1 - label) + noise[r * 8 + k]!;
  });
  return { x, labels };
}

const OPTIONS = {
  epochs: 12,
  batchSize: 8,
  lr: 0.003,
  optimizer: 'adamw' as const,
  schedule: 'cosine' as const,
  weightDecay: 1,
  labelSmoothing: 0.1,
  seed: 42,
};

describe('the features-mode head fit', () => {
  it('orders an epoch by seed and epoch only', () => {
    expect(epochOrder(10, 42, 3)).toEqual(epochOrder(10, 42, 3));
    expect(epochOrder(10, 42, 3)).not.toEqual(epochOrder(10, 42, 4));
    expect([...epochOrder(10, 7, 0)].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });

  it('picks the higher accuracy, then the lower loss', () => {
    expect(isBetterEpoch({ accuracy: 0.9, loss: 1 }, { accuracy: 0.8, loss: 0.1 })).toBe(true);
    expect(isBetterEpoch({ accuracy: 0.9, loss: 0.2 }, { accuracy: 0.9, loss: 0.3 })).toBe(true);
    expect(isBetterEpoch({ accuracy: 0.9, loss: 0.3 }, { accuracy: 0.9, loss: 0.3 })).toBe(false);
  });

  it('denseLogits gives the LinearHead forward pass of the same weights', () => {
    const { x } = toyFeatures(6, 1);
    const kernel = seededFloats(16, 2);
    const bias = seededFloats(2, 3);
    const head = new LinearHead({
      dim: 8,
      classes: 2,
      optimizer: 'adam',
      weightDecay: 0,
      labelSmoothing: 0,
      kernel,
      bias,
    });
    const a = head.predict(x, 6);
    denseLogits(kernel, bias, x, 6).forEach((row, r) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(a[r * 2 + c]!, 5)),
    );
  });

  it('fits, keeps the best epoch and answers the same for the same seed', async () => {
    const train = toyFeatures(64, 11);
    const val = toyFeatures(16, 12);
    const input = {
      trainX: train.x,
      trainLabels: train.labels,
      valX: val.x,
      valLabels: val.labels,
      dim: 8,
      classes: 2,
      options: OPTIONS,
      init: { kernel: seededFloats(16, 5, -0.1, 0.1), bias: new Float32Array(2) },
    };
    const epochs: number[] = [];
    const fit = await fitFeatureHead({ ...input, onEpoch: (e) => void epochs.push(e.valAccuracy) });
    expect(fit.epochsRun).toBe(12);
    expect(fit.val.accuracy).toBe(Math.max(...epochs));
    expect(fit.val.accuracy).toBeGreaterThan(0.9);
    expect(fit.history[fit.bestEpoch - 1]!.best).toBe(true);
    // The kept weights answer what the best epoch answered.
    const rows = denseLogits(fit.kernel, fit.bias, val.x, 16);
    expect(scoreLogits(rows, val.labels).predicted).toEqual(fit.val.predicted);
    const again = await fitFeatureHead(input);
    expect(again.kernel).toEqual(fit.kernel);
  });
});
