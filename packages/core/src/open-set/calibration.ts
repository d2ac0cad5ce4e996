/**
 * Temperature scaling and expected calibration error. Pure math on plain arrays so the trainer
 * (fitting), `ferry eval` and the bench compute the same numbers.
 */

/** Row-wise softmax of logits / temperature (float64 accumulation, returned as numbers). */
export function softmaxWithTemperature(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) / temperature);
  const out: number[] = new Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] as number) / temperature - max);
    sum += out[i] as number;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Mean negative log-likelihood of the true labels under softmax(logits / T). */
export function nllAtTemperature(
  logits: readonly ArrayLike<number>[],
  labels: readonly number[],
  t: number,
): number {
  let sum = 0;
  logits.forEach((row, i) => {
    const p = softmaxWithTemperature(row, t)[labels[i] as number] as number;
    sum -= Math.log(Math.max(p, 1e-12));
  });
  return sum / Math.max(1, logits.length);
}

/**
 * The temperature that minimises val NLL (Guo et al. 2017), by golden-section search over
 * log T in [1/20, 20]: NLL is unimodal in T for a fixed set of logits, and one scalar needs no
 * gradient machinery.
 */
export function fitTemperature(logits: readonly ArrayLike<number>[], labels: readonly number[]): number {
  if (logits.length === 0) return 1;
  const f = (logT: number) => nllAtTemperature(logits, labels, Math.exp(logT));
  let a = Math.log(1 / 20);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 60; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

export interface ReliabilityBin {
  /** Lower and upper confidence edge of the bin. */
  lower: number;
  upper: number;
  count: number;
  /** Mean top-1 confidence of the photos in the bin (NaN when empty). */
  confidence: number;
  /** Share of them whose top-1 was right (NaN when empty). */
  accuracy: number;
}

/** Equal-width confidence bins of top-1 probability vs accuracy (the reliability diagram). */
export function reliabilityBins(
  probabilities: readonly ArrayLike<number>[],
  labels: readonly number[],
  bins = 10,
): ReliabilityBin[] {
  const out = Array.from({ length: bins }, (_, i) => ({
    lower: i / bins,
    upper: (i + 1) / bins,
    count: 0,
    confSum: 0,
    correct: 0,
  }));
  probabilities.forEach((p, i) => {
    let best = 0;
    for (let j = 1; j < p.length; j++) if ((p[j] as number) > (p[best] as number)) best = j;
    const conf = p[best] as number;
    const bin = out[Math.min(bins - 1, Math.floor(conf * bins))]!;
    bin.count++;
    bin.confSum += conf;
    if (best === labels[i]) bin.correct++;
  });
  return out.map((b) => ({
    lower: b.lower,
    upper: b.upper,
    count: b.count,
    confidence: b.count ? b.confSum / b.count : Number.NaN,
    accuracy: b.count ? b.correct / b.count : Number.NaN,
  }));
}

/** Expected calibration error: count-weighted mean |accuracy - confidence| over 15 equal-width bins. */
export function expectedCalibrationError(
  probabilities: readonly ArrayLike<number>[],
  labels: readonly number[],
  bins = 15,
): number {
  const n = probabilities.length;
  if (n === 0) return 0;
  let ece = 0;
  for (const b of reliabilityBins(probabilities, labels, bins))
    if (b.count) ece += (b.count / n) * Math.abs(b.accuracy - b.confidence);
  return ece;
}
