import { describe, expect, it } from 'vitest';
import { argmax, softmax, topK } from './postprocess.js';

describe('softmax', () => {
  it('matches the textbook formula and sums to 1', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / s, 12));
  });
  it('is stable for huge logits and invariant to shifts', () => {
    const p = softmax([1000, 1001, 1002]);
    const q = softmax([0, 1, 2]);
    p.forEach((v, i) => expect(v).toBeCloseTo(q[i]!, 12));
    expect(Array.from(softmax([-1e308, 0]))).toEqual([0, 1]);
    expect(Array.from(softmax([Infinity, 1, Infinity]))).toEqual([0.5, 0, 0.5]);
    expect(softmax([]).length).toBe(0);
  });
});

describe('argmax and topK', () => {
  it('argmax takes the first maximum', () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([])).toBe(-1);
  });
  it('topK sorts by probability, breaks ties by label order and clamps k', () => {
    const labels = ['a', 'b', 'c', 'd'];
    expect(topK([0.1, 0.4, 0.1, 0.4], labels, 3)).toEqual([
      { label: 'b', probability: 0.4 },
      { label: 'd', probability: 0.4 },
      { label: 'a', probability: 0.1 },
    ]);
    expect(topK([0.1, 0.4, 0.1, 0.4], labels, 100)).toHaveLength(4);
    expect(topK([0.1, 0.4, 0.1, 0.4], labels, -3)).toHaveLength(1);
    expect(() => topK([1], labels, 1)).toThrow(/1 probabilities for 4 labels/);
  });
});
