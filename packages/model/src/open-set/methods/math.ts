/** Float helpers the methods share. */
import type { FeatureMatrix } from './types.js';

function l2NormalizeInto(v: Float32Array | Float64Array, out: Float32Array, offset: number): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let i = 0; i < v.length; i++) out[offset + i] = (v[i] as number) * inv;
}

/** Each row scaled to unit length (a zero row stays zero). */
export function normalizeRows(m: FeatureMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.dim);
  for (let r = 0; r < m.rows; r++)
    l2NormalizeInto(m.data.subarray(r * m.dim, (r + 1) * m.dim), out, r * m.dim);
  return out;
}

/** `rows` vectors of `dim` from a float64 array, each scaled to unit length. */
export function normalizeFloat64Rows(data: Float64Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) l2NormalizeInto(data.subarray(r * dim, (r + 1) * dim), out, r * dim);
  return out;
}

/** Per-class means of the rows, [classes, dim]. */
export function classMeans(m: FeatureMatrix, labels: readonly number[], classes: number): Float64Array {
  const sums = new Float64Array(classes * m.dim);
  const counts = new Float64Array(classes);
  for (let r = 0; r < m.rows; r++) {
    const c = labels[r] as number;
    counts[c]!++;
    for (let j = 0; j < m.dim; j++) sums[c * m.dim + j]! += m.data[r * m.dim + j] as number;
  }
  for (let c = 0; c < classes; c++)
    for (let j = 0; j < m.dim; j++) sums[c * m.dim + j]! /= Math.max(1, counts[c] as number);
  return sums;
}

/** Four running sums over a[ao..ao+n) · b[bo..bo+n). */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[ao + i] as number) * (b[bo + i] as number);
    s1 += (a[ao + i + 1] as number) * (b[bo + i + 1] as number);
    s2 += (a[ao + i + 2] as number) * (b[bo + i + 2] as number);
    s3 += (a[ao + i + 3] as number) * (b[bo + i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[ao + i] as number) * (b[bo + i] as number);
  return s0 + s1 + s2 + s3;
}
