/**
 * The two products the linear head spends its time in, as WebAssembly SIMD (f32x4) kernels:
 *
 *   logits(x, n, w, c, dim, out)  out[r, j] = Σ_k x[r, k] · w[j, k]          (n rows, c classes)
 *   grad(d, n, x, dim, c, g)      g[j, k] += Σ_r d[r, j] · x[r, k]
 *
 * All arrays are float32, row-major, in the module's memory, with `dim` a multiple of 4 (rows
 * are zero-padded). On the flowers' head (720 rows of 1280 features, 12 classes, 40 epochs) the
 * plain-JavaScript float64 loops took ~0.6 s of CPU, the run's largest step after extraction.
 *
 * The module is a few hundred bytes written here by hand (no toolchain, nothing to build or
 * download); the opcodes are the WebAssembly 2.0 core and SIMD ones. WebAssembly has no fused
 * multiply-add unless asked (relaxed SIMD is not used), so every machine computes the same
 * floats.
 */

// --- encoding helpers -----------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;

// Instructions (each returns its bytes).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const geU = [0x4f];
const f32Add = [0x92];
const memarg = (align: number) => [...uleb(align), 0];
const f32Load = [0x2a, ...memarg(2)];
const f32Store = [0x38, ...memarg(2)];
const simd = (op: number, ...rest: number[]) => [0xfd, ...uleb(op), ...rest];
const v128Load = simd(0x00, ...memarg(4));
const v128Store = simd(0x0b, ...memarg(4));
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const f32x4Splat = simd(0x13);
const f32x4Lane = (lane: number) => simd(0x1f, lane);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);

/** `while (v < limit) { body; v += step }` with `v` and `limit` locals, as block + loop. */
function whileBelow(v: number, limit: number, step: number, body: number[]): number[] {
  return [
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(v),
    ...get(limit),
    ...geU,
    0x0d,
    1, // br_if out of the block
    ...body,
    ...get(v),
    ...i32(step),
    ...add,
    ...set(v),
    0x0c,
    0, // br to the loop
    0x0b,
    0x0b,
  ];
}

/** `for (v = 0; v < limit; v += step) body`. */
const loop = (v: number, limit: number, step: number, body: number[]) => [
  ...i32(0),
  ...set(v),
  ...whileBelow(v, limit, step, body),
];

/**
 * `v` from 0 to `limit` four at a time while `v < limit4` (`fours`), then one at a time (`ones`):
 * the kernels' blocking over classes or rows with its remainder.
 */
const blockedLoop = (v: number, limit4: number, limit: number, fours: number[], ones: number[]) => [
  ...i32(0),
  ...set(v),
  ...whileBelow(v, limit4, 4, fours),
  ...whileBelow(v, limit, 1, ones),
];

/** local `dest` = local `src` rounded down to a multiple of 4 (src & -4). */
const roundDown4 = (dest: number, src: number) => [...get(src), ...i32(-4), 0x71, ...set(dest)];

/** local = a + b * c (i32). */
const addMul = (dest: number, a: number[], b: number[], c: number[]) => [
  ...a,
  ...b,
  ...c,
  ...mul,
  ...add,
  ...set(dest),
];

/** Sum of an f32x4's lanes ((l0 + l1) + l2) + l3, from local `v`. */
const laneSum = (v: number) => [
  ...get(v),
  ...f32x4Lane(0),
  ...get(v),
  ...f32x4Lane(1),
  ...f32Add,
  ...get(v),
  ...f32x4Lane(2),
  ...f32Add,
  ...get(v),
  ...f32x4Lane(3),
  ...f32Add,
];

// --- logits: params x n w c dim out; one row by four classes per pass over the row ------------

function logitsBody(): number[] {
  const [x, n, w, c, dim, out] = [0, 1, 2, 3, 4, 5];
  // i32 locals: r, j, k, rowBytes, xr, w0..w3, c4, o; v128 locals: a0..a3, xv
  const [r, j, k, rowBytes, xr, w0, w1, w2, w3, c4, o] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [a0, a1, a2, a3, xv] = [17, 18, 19, 20, 21];
  const accumulate = (acc: number, wj: number) => [
    ...get(acc),
    ...get(xv),
    ...get(wj),
    ...get(k),
    ...add,
    ...v128Load,
    ...f32x4Mul,
    ...f32x4Add,
    ...set(acc),
  ];
  const store = (lane: number, acc: number) => [
    ...get(o),
    ...get(j),
    ...i32(lane),
    ...add,
    ...i32(4),
    ...mul,
    ...add,
    ...laneSum(acc),
    ...f32Store,
  ];
  const fourClasses = [
    ...addMul(w0, get(w), get(j), get(rowBytes)),
    ...get(w0),
    ...get(rowBytes),
    ...add,
    ...set(w1),
    ...get(w1),
    ...get(rowBytes),
    ...add,
    ...set(w2),
    ...get(w2),
    ...get(rowBytes),
    ...add,
    ...set(w3),
    ...v128Zero,
    ...set(a0),
    ...v128Zero,
    ...set(a1),
    ...v128Zero,
    ...set(a2),
    ...v128Zero,
    ...set(a3),
    ...loop(k, rowBytes, 16, [
      ...get(xr),
      ...get(k),
      ...add,
      ...v128Load,
      ...set(xv),
      ...accumulate(a0, w0),
      ...accumulate(a1, w1),
      ...accumulate(a2, w2),
      ...accumulate(a3, w3),
    ]),
    ...store(0, a0),
    ...store(1, a1),
    ...store(2, a2),
    ...store(3, a3),
  ];
  const oneClass = [
    ...addMul(w0, get(w), get(j), get(rowBytes)),
    ...v128Zero,
    ...set(a0),
    ...loop(k, rowBytes, 16, [...get(xr), ...get(k), ...add, ...v128Load, ...set(xv), ...accumulate(a0, w0)]),
    ...store(0, a0),
  ];
  const body = [
    ...get(dim),
    ...i32(4),
    ...mul,
    ...set(rowBytes),
    // Classes four at a time below c4 = c - c % 4, the rest one by one.
    ...roundDown4(c4, c),
    ...loop(r, n, 1, [
      ...addMul(xr, get(x), get(r), get(rowBytes)),
      ...addMul(o, get(out), get(r), [...get(c), ...i32(4), ...mul]),
      ...blockedLoop(j, c4, c, fourClasses, oneClass),
    ]),
  ];
  return [
    ...vec([
      [11, I32],
      [5, V128],
    ]),
    ...body,
    0x0b,
  ];
}

// --- grad: params d n x dim c g; g[j] += d[r, j] · x[r] four rows at a time -------------------

function gradBody(): number[] {
  const [d, n, x, dim, c, g] = [0, 1, 2, 3, 4, 5];
  const [j, r, k, rowBytes, gj, x0, x1, x2, x3, n4] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [s0, s1, s2, s3] = [16, 17, 18, 19];
  /** splat(d[(row) * c + j]) into local `dest`. */
  const splatD = (dest: number, rowOffset: number) => [
    ...get(d),
    ...get(r),
    ...i32(rowOffset),
    ...add,
    ...get(c),
    ...mul,
    ...get(j),
    ...add,
    ...i32(4),
    ...mul,
    ...add,
    ...f32Load,
    ...f32x4Splat,
    ...set(dest),
  ];
  const xRow = (dest: number, rowOffset: number) =>
    addMul(dest, get(x), [...get(r), ...i32(rowOffset), ...add], get(rowBytes));
  const term = (s: number, xr: number) => [
    ...get(s),
    ...get(xr),
    ...get(k),
    ...add,
    ...v128Load,
    ...f32x4Mul,
  ];
  const gAddress = [...get(gj), ...get(k), ...add];
  const fourRows = [
    ...splatD(s0, 0),
    ...splatD(s1, 1),
    ...splatD(s2, 2),
    ...splatD(s3, 3),
    ...xRow(x0, 0),
    ...xRow(x1, 1),
    ...xRow(x2, 2),
    ...xRow(x3, 3),
    ...loop(k, rowBytes, 16, [
      ...gAddress,
      ...gAddress,
      ...v128Load,
      ...term(s0, x0),
      ...f32x4Add,
      ...term(s1, x1),
      ...f32x4Add,
      ...term(s2, x2),
      ...f32x4Add,
      ...term(s3, x3),
      ...f32x4Add,
      ...v128Store,
    ]),
  ];
  const oneRow = [
    ...splatD(s0, 0),
    ...xRow(x0, 0),
    ...loop(k, rowBytes, 16, [
      ...gAddress,
      ...gAddress,
      ...v128Load,
      ...term(s0, x0),
      ...f32x4Add,
      ...v128Store,
    ]),
  ];
  const body = [
    ...get(dim),
    ...i32(4),
    ...mul,
    ...set(rowBytes),
    // Rows four at a time below n4 = n - n % 4, the rest one by one.
    ...roundDown4(n4, n),
    ...loop(j, c, 1, [
      ...addMul(gj, get(g), get(j), get(rowBytes)),
      ...blockedLoop(r, n4, n, fourRows, oneRow),
    ]),
  ];
  return [
    ...vec([
      [10, I32],
      [4, V128],
    ]),
    ...body,
    0x0b,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const sixI32 = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const bodies = [logitsBody(), gradBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([sixI32])),
    ...section(3, vec([[0], [0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(
      7,
      vec([
        [...name('memory'), 0x02, 0],
        [...name('logits'), 0x00, 0],
        [...name('grad'), 0x00, 1],
      ]),
    ),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

export interface HeadKernels {
  /** The module's memory as float32s (re-read after `reserve`: growing replaces the buffer). */
  floats(): Float32Array;
  /** Makes the memory hold at least `bytes`. */
  reserve(bytes: number): void;
  logits(x: number, n: number, w: number, c: number, dim: number, out: number): void;
  grad(d: number, n: number, x: number, dim: number, c: number, g: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** A fresh instance of the kernels (own memory), or undefined where WebAssembly SIMD is missing. */
export function createHeadKernels(): HeadKernels | undefined {
  if (compiled === undefined) {
    const bytes = moduleBytes();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  if (!compiled) return undefined;
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

let shared: HeadKernels | null | undefined;

/**
 * a [aRows, dim] times b [bRows, dim] transposed -> [aRows, bRows] (row-major, float32) on the
 * logits kernel: the open-set fit's kNN pass, every val photo against the training photos (the
 * flowers: 240 x 720 x 1280). undefined where WebAssembly SIMD is missing.
 */
export function matMulTransposed(
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
): Float32Array | undefined {
  shared ??= createHeadKernels() ?? null;
  if (!shared) return undefined;
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
