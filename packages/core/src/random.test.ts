import { describe, expect, it } from 'vitest';
import { createRandom, shuffleInPlace } from './random.js';

describe('createRandom', () => {
  it('is deterministic per seed and roughly uniform', () => {
    const a = createRandom(123);
    const b = createRandom(123);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs.slice(0, 50)).toEqual(Array.from({ length: 50 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
  it('int covers its inclusive range; shuffle is a permutation', () => {
    const r = createRandom(5);
    const seen = new Set(Array.from({ length: 500 }, () => r.int(2, 6)));
    expect([...seen].sort()).toEqual([2, 3, 4, 5, 6]);
    const items = Array.from({ length: 20 }, (_, i) => i);
    expect(shuffleInPlace([...items], createRandom(1)).sort((x, y) => x - y)).toEqual(items);
    expect(shuffleInPlace([...items], createRandom(1))).toEqual(shuffleInPlace([...items], createRandom(1)));
  });
});
