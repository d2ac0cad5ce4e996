/**
 * The two products the linear head spends its time in, as WebAssembly SIMD (f32x4) kernels
 * written in head-kernels.wat (readable WebAssembly text) and assembled at build time by wabt
 * (scripts/build-head-kernels.mjs):
 *
 *   logits(x, n, w, c, dim, out)  out[r, j] = Σ_k x[r, k] · w[j, k]          (n rows, c classes)
 *   grad(d, n, x, dim, c, g)      g[j, k] += Σ_r d[r, j] · x[r, k]
 *
 * All arrays are float32, row-major, in the module's memory, with `dim` a multiple of 4 (rows
 * are zero-padded). They are the one implementation of the head's products: the plain
 * JavaScript loops they replaced were the slower of the two, side by side on the flowers' head
 * (the commit that removed them has the figures). No fused multiply-add (relaxed SIMD is not used), so every machine computes the same floats.
 * WebAssembly SIMD is in every current browser, Node and Workers.
 */
import { HEAD_KERNELS_WASM_BASE64 } from './head-kernels-wasm.js';

function wasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(HEAD_KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

export interface HeadKernels {
  /** The module's memory as float32s (re-read after `reserve`: growing replaces the buffer). */
  floats(): Float32Array;
  /** Makes the memory hold at least `bytes`. */
  reserve(bytes: number): void;
  logits(x: number, n: number, w: number, c: number, dim: number, out: number): void;
  grad(d: number, n: number, x: number, dim: number, c: number, g: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** A fresh instance of the kernels (own memory). */
export function createHeadKernels(): HeadKernels {
  if (!compiled) {
    const bytes = wasmBytes();
    if (!WebAssembly.validate(bytes))
      throw new Error(
        'this runtime lacks WebAssembly SIMD, which the linear head needs (Node 16+, current browsers)',
      );
    compiled = new WebAssembly.Module(bytes);
  }
  const instance = new WebAssembly.Instance(compiled);
  const memory = instance.exports.memory as WebAssembly.Memory;
  const exports = instance.exports as unknown as Pick<HeadKernels, 'logits' | 'grad'>;
  return {
    floats: () => new Float32Array(memory.buffer),
    reserve(bytes) {
      const missing = bytes - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    },
    logits: exports.logits,
    grad: exports.grad,
  };
}

/** The kernels' row width: `dim` rounded up to a multiple of 4 floats (rows are zero-padded). */
export const paddedWidth = (dim: number): number => Math.ceil(dim / 4) * 4;

/** A region's size rounded up to 16 bytes, so the next region starts aligned for v128 loads. */
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Copies `n` rows of `src` (`rows[i]`, or 0..n-1) into the kernels' memory at byte offset `at`,
 * each `paddedWidth(dim)` floats wide, the padding zeroed.
 */
export function writeRows(
  k: HeadKernels,
  at: number,
  src: Float32Array,
  dim: number,
  n: number,
  rows?: ArrayLike<number>,
): void {
  const f = k.floats();
  const dim4 = paddedWidth(dim);
  const base = at / 4;
  if (!rows && dim4 === dim) {
    f.set(src.subarray(0, n * dim), base);
    return;
  }
  for (let r = 0; r < n; r++) {
    const row = rows ? rows[r]! : r;
    f.set(src.subarray(row * dim, (row + 1) * dim), base + r * dim4);
    if (dim4 !== dim) f.fill(0, base + r * dim4 + dim, base + (r + 1) * dim4);
  }
}

let shared: HeadKernels | undefined;

/**
 * a [aRows, dim] times b [bRows, dim] transposed -> [aRows, bRows] (row-major, float32) on the
 * logits kernel: the open-set fit's kNN pass, every val photo against the training photos (the
 * flowers: 240 x 720 x 1280).
 */
export function matMulTransposed(
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
): Float32Array {
  shared ??= createHeadKernels();
  const k = shared;
  const dim4 = paddedWidth(dim);
  const at = { a: 0, b: align16(aRows * dim4 * 4), out: 0 };
  at.out = at.b + align16(bRows * dim4 * 4);
  k.reserve(at.out + aRows * bRows * 4);
  writeRows(k, at.a, a, dim, aRows);
  writeRows(k, at.b, b, dim, bRows);
  k.logits(at.a, aRows, at.b, bRows, dim4, at.out);
  return k.floats().slice(at.out / 4, at.out / 4 + aRows * bRows);
}
