import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../spec/parse.js';
import { isUnknown } from './answer.js';
import {
  expectedCalibrationError,
  fitTemperature,
  nllAtTemperature,
  reliabilityBins,
  softmaxWithTemperature,
} from './calibration.js';
import { auroc, fprAtTpr, rejectedShare, thresholdForRejectRate } from './metrics.js';

/** Deterministic uniform numbers in [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) / 2 ** 24;
  };
}

describe('auroc, fprAtTpr', () => {
  it('is 1 for perfect separation, 0.5 for identical sets, ties count half', () => {
    expect(auroc([0.1, 0.2, 0.3], [0.5, 0.6])).toBe(1);
    expect(auroc([0.5, 0.6], [0.1, 0.2, 0.3])).toBe(0);
    expect(auroc([1, 2, 3], [1, 2, 3])).toBe(0.5);
    // one unknown ties one known, beats the other: (1 + 0.5) / 2
    expect(auroc([1, 2], [2])).toBe(0.75);
  });

  it('matches the pairwise definition on random scores', () => {
    const r = rng(3);
    const a = Array.from({ length: 40 }, () => Math.round(r() * 20));
    const b = Array.from({ length: 30 }, () => Math.round(r() * 20 + 4));
    let wins = 0;
    for (const x of a) for (const y of b) wins += y > x ? 1 : y === x ? 0.5 : 0;
    expect(auroc(a, b)).toBeCloseTo(wins / (a.length * b.length), 12);
  });

  it('FPR at 95 % TPR counts unknown photos under the threshold that keeps 95 % of known ones', () => {
    const known = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(fprAtTpr(known, [2, 3, 4, 5])).toBe(0);
    expect(fprAtTpr(known, [0.5, 0.6, 2, 3])).toBe(0.5);
  });
});

describe('thresholdForRejectRate', () => {
  it('rejects at most the budget of the scores it was fitted on, for every size', () => {
    const r = rng(9);
    for (let n = 1; n < 200; n += 7) {
      const scores = Array.from({ length: n }, () => r());
      const t = thresholdForRejectRate(scores, 0.05);
      expect(rejectedShare(scores, t)).toBeLessThanOrEqual(0.05);
      // and not needlessly fewer: the next-larger kept score would be over budget
      const kept = scores.filter((s) => s <= t).length;
      expect(kept).toBe(Math.max(1, Math.ceil(n * 0.95)));
    }
  });

  it('sits halfway to the next score, so a last-bit difference does not flip a val photo', () => {
    const scores = Array.from({ length: 20 }, (_, i) => i);
    expect(thresholdForRejectRate(scores, 0.05)).toBe(18.5);
  });
});

describe('temperature scaling', () => {
  it('recovers the temperature of labels drawn from softmax(z / T)', () => {
    const r = rng(5);
    const trueT = 2.5;
    const logits: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const z = [r() * 12 - 6, r() * 12 - 6, r() * 12 - 6];
      const p = softmaxWithTemperature(z, trueT);
      const u = r();
      labels.push(u < p[0]! ? 0 : u < p[0]! + p[1]! ? 1 : 2);
      logits.push(z);
    }
    const t = fitTemperature(logits, labels);
    expect(t).toBeGreaterThan(2.2);
    expect(t).toBeLessThan(2.8);
    expect(nllAtTemperature(logits, labels, t)).toBeLessThan(nllAtTemperature(logits, labels, 1));
    const before = expectedCalibrationError(
      logits.map((z) => softmaxWithTemperature(z, 1)),
      labels,
    );
    const after = expectedCalibrationError(
      logits.map((z) => softmaxWithTemperature(z, t)),
      labels,
    );
    expect(after).toBeLessThan(0.03);
    expect(after).toBeLessThan(before / 3);
  });

  it('ECE is 0 for a perfectly calibrated bin and |acc - conf| for a wrong one', () => {
    expect(
      expectedCalibrationError(
        [
          [0.1, 0.9],
          [0.9, 0.1],
        ],
        [1, 0],
      ),
    ).toBeCloseTo(0.1, 12);
    expect(expectedCalibrationError([[1, 0]], [0])).toBe(0);
    const bins = reliabilityBins(
      [
        [0.3, 0.7],
        [0.2, 0.8],
      ],
      [1, 0],
      10,
    );
    expect(bins[7]).toMatchObject({ count: 1, accuracy: 1 });
    expect(bins[8]).toMatchObject({ count: 1, accuracy: 0 });
  });
});

describe('the spec openSet section', () => {
  const base = {
    format: 'ferry.model-spec',
    version: 1,
    name: 'm',
    task: 'image-classification',
    labels: ['ants', 'bees'],
    input: {
      name: 'input',
      width: 4,
      height: 4,
      channels: 3,
      channelOrder: 'RGB',
      layout: 'NHWC',
      dtype: 'float32',
      normalization: { kind: 'scale', scale: 1, offset: 0 },
    },
    preprocess: [{ op: 'resize', width: 4, height: 4 }],
    output: { logits: 'logits', probabilities: 'probabilities' },
  };
  const openSet = {
    method: 'knn-cosine',
    scoreOutput: 'ood_score',
    probabilitiesOutput: 'calibrated_probabilities',
    threshold: 0.4,
    temperature: 0.7,
    valRejected: 0.04,
    k: 1,
  };

  it('old specs have none and parse as before; new ones round-trip', () => {
    expect(parseModelSpec(base).openSet).toBeUndefined();
    expect(parseModelSpec({ ...base, openSet }).openSet).toEqual(openSet);
  });

  it('rejects unknown methods, fields and a non-positive temperature by name', () => {
    expect(() => parseModelSpec({ ...base, openSet: { ...openSet, method: 'vibes' } })).toThrow(
      /openSet\.method/,
    );
    expect(() => parseModelSpec({ ...base, openSet: { ...openSet, thresold: 1 } })).toThrow(
      /openSet\.thresold: unknown field/,
    );
    expect(() => parseModelSpec({ ...base, openSet: { ...openSet, temperature: 0 } })).toThrow(
      /openSet\.temperature/,
    );
  });

  it('isUnknown: above the threshold, or a NaN score', () => {
    expect(isUnknown(0.41, openSet)).toBe(true);
    expect(isUnknown(0.4, openSet)).toBe(false);
    expect(isUnknown(Number.NaN, openSet)).toBe(true);
  });
});
