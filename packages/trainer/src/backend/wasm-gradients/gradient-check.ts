/**
 * Runs the same gradient computation on two tfjs backends and measures how far apart the results
 * are. Used by the kernel tests (wasm vs the reference cpu backend) and handy when debugging a
 * kernel by hand. Inputs come from a seeded generator so both backends see identical numbers.
 */
import type * as Tf from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';

/** Deterministic values in [-1, 1) (mulberry32), so a failing case can be replayed exactly. */
export function seededValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Switches to `backend`, runs `compute` in a tidy scope and downloads every result. */
export async function runOnBackend(backend: string, compute: () => Tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  const tensors = tf.tidy(compute);
  const values = tensors.map((t) => t.dataSync() as Float32Array);
  tf.dispose(tensors);
  return values;
}

/** max |a - b| divided by max |b| (or 1 when b is tiny): a scale-free error for float32 sums. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / Math.max(scale, 1);
}
