export interface Prediction {
  label: string;
  probability: number;
}

/** Numerically stable softmax (subtracts the max first); float64 accumulation. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const n = logits.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === Infinity) {
    // Infinite logits: the mass is split among them (the limit of the finite case).
    let count = 0;
    for (let i = 0; i < n; i++) if (logits[i] === Infinity) count++;
    for (let i = 0; i < n; i++) out[i] = logits[i] === Infinity ? 1 / count : 0;
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

/** Index of the largest value; the first one wins ties. -1 for an empty input. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (best === -1 || values[i]! > bestValue) {
      best = i;
      bestValue = values[i]!;
    }
  }
  return best;
}

/**
 * The k most probable labels, highest first; ties keep label order so results are stable
 * across runtimes. k is clamped to [1, labels.length].
 */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  if (probabilities.length !== labels.length) {
    throw new RangeError(`got ${probabilities.length} probabilities for ${labels.length} labels`);
  }
  const count = Math.max(1, Math.min(Math.trunc(k) || 1, labels.length));
  const order = Array.from({ length: labels.length }, (_, i) => i);
  order.sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  return order.slice(0, count).map((i) => ({ label: labels[i]!, probability: probabilities[i]! }));
}
