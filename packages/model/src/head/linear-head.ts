/**
 * features mode's default head — one dense layer, logits = x·W + b — trained in plain
 * TypeScript on Float32Array features instead of through tfjs. The math is the trainer's tfjs
 * path's (@ferry/trainer's train-step.ts and optimizer.ts): softmax cross-entropy with label
 * smoothing averaged over the batch, coupled L2 on the kernel for sgd/adam, decoupled decay
 * (kernel *= 1 - lr·wd) before the step for adamw, tfjs' Adam (beta 0.9/0.999, epsilon 1e-7,
 * bias correction through accumulated betas) and momentum SGD (0.9, accumulator = 0.9·accumulator
 * + g). On ants/bees features a tfjs step costs a dozen kernel launches and tensor bookkeeping for
 * a 1280x2 matrix product; here an epoch is a few milliseconds, and the same seed gives the same
 * weights on every machine.
 *
 * Layout: W is stored class-major (`w[c * dim + k]`), so every dot product and gradient row
 * walks memory contiguously; `kernel()` returns it in Keras' [dim, classes] order.
 */
import { align16, createHeadKernels, type HeadKernels, paddedWidth, writeRows } from './head-kernels.js';

/** The optimizers by the names `ferry train --optimizer` takes; the head and the trainer's tfjs path implement each. */
export type OptimizerName = 'sgd' | 'adam' | 'adamw';

export interface LinearHeadOptions {
  dim: number;
  classes: number;
  optimizer: OptimizerName;
  weightDecay: number;
  labelSmoothing: number;
  /** Initial kernel in Keras order [dim, classes] (the tfjs head's seeded glorot init) and bias. */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface StepResult {
  /** Mean loss of the batch (with the L2 term for sgd/adam, as tfjs reports it). */
  loss: number;
  correct: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;
const MOMENTUM = 0.9;

export class LinearHead {
  readonly dim: number;
  readonly classes: number;
  private readonly o: LinearHeadOptions;
  /** Class-major weights then bias; m/v hold Adam's moments (momentum's accumulator in m). */
  private readonly w: Float64Array;
  private readonly b: Float64Array;
  private readonly mw: Float64Array;
  private readonly vw: Float64Array;
  private readonly mb: Float64Array;
  private readonly vb: Float64Array;
  private steps = 0;
  private readonly gw: Float64Array;
  private readonly gb: Float64Array;
  private logits = new Float64Array(0);
  /** The two products, on the WebAssembly SIMD kernels (head-kernels.wat). */
  private readonly products: SimdProducts;

  constructor(o: LinearHeadOptions) {
    if (o.kernel.length !== o.dim * o.classes || o.bias.length !== o.classes)
      throw new Error(`linear head: kernel/bias sizes do not match ${o.dim}x${o.classes}`);
    this.o = o;
    this.dim = o.dim;
    this.classes = o.classes;
    this.w = new Float64Array(o.dim * o.classes);
    for (let k = 0; k < o.dim; k++)
      for (let c = 0; c < o.classes; c++) this.w[c * o.dim + k] = o.kernel[k * o.classes + c]!;
    this.b = Float64Array.from(o.bias);
    this.mw = new Float64Array(this.w.length);
    this.vw = new Float64Array(this.w.length);
    this.mb = new Float64Array(o.classes);
    this.vb = new Float64Array(o.classes);
    this.gw = new Float64Array(this.w.length);
    this.gb = new Float64Array(o.classes);
    this.products = new SimdProducts(createHeadKernels(), o.dim, o.classes);
  }

  /** Logits of `rows` feature vectors (row-major in `x`), as [rows, classes]. */
  predict(x: Float32Array, rows: number): Float64Array {
    const out = new Float64Array(rows * this.classes);
    this.forward(x, rows, out, undefined);
    return out;
  }

  /** logits[r] = x[rows[r]]·W + b; `rows` undefined = the first n rows of x in order. */
  private forward(x: Float32Array, n: number, out: Float64Array, rows: ArrayLike<number> | undefined): void {
    this.products.forward(x, n, out, rows, this.w, this.b);
  }

  /**
   * One optimizer step on the rows `rows` of `x` (labels `y[row]`) at learning rate `lr`;
   * returns the batch's mean loss and how many rows it classified right before the step.
   */
  step(x: Float32Array, y: ArrayLike<number>, rows: ArrayLike<number>, lr: number): StepResult {
    const { classes, w, b, gw, gb, o } = this;
    const n = rows.length;
    if (this.logits.length < n * classes) this.logits = new Float64Array(n * classes);
    const logits = this.logits;
    this.forward(x, n, logits, rows);
    const smooth = o.labelSmoothing;
    const off = smooth / classes;
    const on = 1 - smooth + off;
    let lossSum = 0;
    let correct = 0;
    gw.fill(0);
    gb.fill(0);
    // logits become d loss / d logits = (softmax - target) / n in place, target = smoothed one-hot.
    for (let r = 0; r < n; r++) {
      const row = r * classes;
      const label = y[rows[r]!]!;
      let max = logits[row]!;
      let arg = 0;
      for (let c = 1; c < classes; c++)
        if (logits[row + c]! > max) {
          max = logits[row + c]!;
          arg = c;
        }
      if (arg === label) correct++;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
      const logSum = Math.log(sum) + max;
      for (let c = 0; c < classes; c++) {
        const target = c === label ? on : off;
        const logp = logits[row + c]! - logSum;
        lossSum -= target * logp;
        const d = (Math.exp(logp) - target) / n;
        gb[c]! += d;
        logits[row + c] = d;
      }
    }
    this.products.accumulateGradient(logits, n, gw);
    let loss = lossSum / n;
    const wd = o.weightDecay;
    if (o.optimizer !== 'adamw' && wd > 0) {
      // Coupled L2 on the kernel: loss + wd/2·|W|², gradient + wd·W.
      let sq = 0;
      for (let i = 0; i < w.length; i++) {
        sq += w[i]! * w[i]!;
        gw[i]! += wd * w[i]!;
      }
      loss += (wd / 2) * sq;
    }
    this.apply(w, gw, this.mw, this.vw, lr, o.optimizer === 'adamw' ? wd : 0);
    this.apply(b, gb, this.mb, this.vb, lr, 0);
    this.steps++;
    return { loss, correct };
  }

  private apply(
    p: Float64Array,
    g: Float64Array,
    m: Float64Array,
    v: Float64Array,
    lr: number,
    decoupledDecay: number,
  ): void {
    if (decoupledDecay > 0) {
      const keep = 1 - lr * decoupledDecay;
      for (let i = 0; i < p.length; i++) p[i]! *= keep;
    }
    if (this.o.optimizer === 'sgd') {
      for (let i = 0; i < p.length; i++) {
        m[i] = MOMENTUM * m[i]! + g[i]!;
        p[i]! -= lr * m[i]!;
      }
      return;
    }
    // tfjs' Adam: the accumulated betas start at beta (step 1 divides by 1 - beta).
    const c1 = 1 - BETA1 ** (this.steps + 1);
    const c2 = 1 - BETA2 ** (this.steps + 1);
    for (let i = 0; i < p.length; i++) {
      m[i] = BETA1 * m[i]! + (1 - BETA1) * g[i]!;
      v[i] = BETA2 * v[i]! + (1 - BETA2) * g[i]! * g[i]!;
      p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + EPSILON);
    }
  }

  /** Kernel in Keras order [dim, classes], float32 (what the checkpoint stores). */
  kernel(): Float32Array {
    const out = new Float32Array(this.dim * this.classes);
    for (let k = 0; k < this.dim; k++)
      for (let c = 0; c < this.classes; c++) out[k * this.classes + c] = this.w[c * this.dim + k]!;
    return out;
  }

  bias(): Float32Array {
    return Float32Array.from(this.b);
  }
}

/**
 * The head's two products on the SIMD kernels: the weights (float64 here, the optimizer's) go to
 * the kernels' memory as float32 before each forward pass, a batch's feature rows are copied in
 * (rows padded to a multiple of 4 features), and the gradient comes back as float64 for the step.
 * Memory: [weights | gradient | logits | d logits | feature rows], rows last so a larger call
 * (the val set) only moves the region that grows.
 */
class SimdProducts {
  private readonly dim4: number;
  private capacity = 0;
  private readonly at = { w: 0, g: 0, out: 0, d: 0, x: 0 };
  /** Rows the last forward pass loaded (the gradient reads them again). */
  private loadedRows = 0;

  constructor(
    private readonly k: HeadKernels,
    private readonly dim: number,
    private readonly classes: number,
  ) {
    this.dim4 = paddedWidth(dim);
    this.layout(64);
  }

  private layout(rows: number): void {
    const { dim4, classes } = this;
    const weights = classes * dim4 * 4;
    const perRow = classes * 4;
    this.at.w = 0;
    this.at.g = align16(weights);
    this.at.out = this.at.g + align16(weights);
    this.at.d = this.at.out + align16(rows * perRow);
    this.at.x = this.at.d + align16(rows * perRow);
    this.k.reserve(this.at.x + rows * dim4 * 4);
    this.capacity = rows;
    this.loadedRows = 0;
  }

  /** Copies rows `rows[i]` (or 0..n-1) of x into the x region. */
  private loadRows(x: Float32Array, n: number, rows: ArrayLike<number> | undefined): void {
    if (n > this.capacity) this.layout(n);
    writeRows(this.k, this.at.x, x, this.dim, n, rows);
    this.loadedRows = n;
  }

  forward(
    x: Float32Array,
    n: number,
    out: Float64Array,
    rows: ArrayLike<number> | undefined,
    w: Float64Array,
    b: Float64Array,
  ): void {
    this.loadRows(x, n, rows);
    const { dim, dim4, classes, at } = this;
    const f = this.k.floats();
    for (let c = 0; c < classes; c++) {
      const src = c * dim;
      const dst = at.w / 4 + c * dim4;
      for (let k = 0; k < dim; k++) f[dst + k] = w[src + k]!;
    }
    this.k.logits(at.x, n, at.w, classes, dim4, at.out);
    const o = at.out / 4;
    for (let r = 0; r < n; r++)
      for (let c = 0; c < classes; c++) out[r * classes + c] = f[o + r * classes + c]! + b[c]!;
  }

  /** gw (class-major, dim per class) = d^T · the rows of the last forward pass. */
  accumulateGradient(d: Float64Array, n: number, gw: Float64Array): void {
    if (n !== this.loadedRows) throw new Error('linear head: gradient rows differ from the forward pass');
    const { dim, dim4, classes, at } = this;
    const f = this.k.floats();
    f.set(d.subarray(0, n * classes), at.d / 4);
    f.fill(0, at.g / 4, at.g / 4 + classes * dim4);
    this.k.grad(at.d, n, at.x, dim4, classes, at.g);
    for (let c = 0; c < classes; c++) {
      const src = at.g / 4 + c * dim4;
      for (let k = 0; k < dim; k++) gw[c * dim + k]! += f[src + k]!;
    }
  }
}
