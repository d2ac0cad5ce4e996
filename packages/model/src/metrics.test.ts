import { describe, expect, it } from 'vitest';
import { learningRateAt } from './head/schedule.js';
import { computeMetrics, formatMetrics } from './metrics.js';

describe('computeMetrics', () => {
  it('gives accuracy, confusion and per-class precision/recall/F1 for known predictions', () => {
    // truth:     a a a a b b c
    // predicted: a a b c b b b
    const m = computeMetrics(['a', 'b', 'c'], [0, 0, 0, 0, 1, 1, 2], [0, 0, 1, 2, 1, 1, 1]);
    expect(m.accuracy).toBeCloseTo(4 / 7, 12);
    expect(m.confusion).toEqual([
      [2, 1, 1],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    expect(m.perClass.a).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3, support: 4 });
    expect(m.perClass.b!.precision).toBeCloseTo(0.5, 12);
    expect(m.perClass.b!.recall).toBe(1);
    expect(m.perClass.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(m.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 12);
    expect(formatMetrics(['a', 'b', 'c'], m)).toContain('accuracy 0.5714 on 7 images');
  });
});

describe('learningRateAt', () => {
  const base = { baseLr: 0.1, totalSteps: 100 };
  it('implements step, cosine and one-cycle shapes', () => {
    expect(learningRateAt(0, { ...base, name: 'none' })).toBe(0.1);
    expect(learningRateAt(35, { ...base, name: 'step', stepSize: 30, gamma: 0.5 })).toBeCloseTo(0.05, 12);
    expect(learningRateAt(0, { ...base, name: 'cosine' })).toBeCloseTo(0.1, 12);
    expect(learningRateAt(50, { ...base, name: 'cosine' })).toBeCloseTo(0.05, 12);
    expect(learningRateAt(100, { ...base, name: 'cosine' })).toBeCloseTo(0, 12);
    expect(learningRateAt(0, { ...base, name: 'onecycle' })).toBeCloseTo(0.004, 12);
    expect(learningRateAt(25, { ...base, name: 'onecycle' })).toBeCloseTo(0.1, 12);
    expect(learningRateAt(100, { ...base, name: 'onecycle' })).toBeCloseTo(1e-5, 12);
  });
});
