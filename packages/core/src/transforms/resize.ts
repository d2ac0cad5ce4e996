import { assertImage, type Image, ImageError } from '../image.js';

/**
 * Bilinear resize that reproduces Pillow's `Image.resize(size, Image.BILINEAR)`
 * (libImaging/Resample.c): a separable triangle filter whose support widens with the
 * downscale factor (that is the antialiasing), 22-bit fixed-point coefficients, a horizontal
 * pass rounded to uint8, then a vertical pass. Pillow is what torchvision's PIL path and most
 * Python training code use, so matching it keeps Ferry's preprocessing interchangeable.
 */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  /** First source index per output index. */
  bounds: Int32Array;
  /** Number of taps per output index. */
  counts: Int32Array;
  /** ksize integer weights per output index. */
  weights: Int32Array;
  ksize: number;
}

function bilinearFilter(x: number): number {
  const ax = x < 0 ? -x : x;
  return ax < 1 ? 1 - ax : 0;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box [in0, in1) of an axis. */
function precomputeCoefficients(inSize: number, in0: number, in1: number, outSize: number): Coefficients {
  const scale = (in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww === 0 ? k[x]! : k[x]! / ww;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx] = xmin;
    counts[xx] = xmax;
  }
  return { bounds, counts, weights, ksize };
}

function clip8(value: number): number {
  if (value <= 0) return 0;
  const shifted = Math.floor(value / ONE);
  return Math.min(shifted, 255);
}

function resampleHorizontal(
  src: Image,
  outWidth: number,
  c: Coefficients,
  rowStart: number,
  rows: number,
): Image {
  const ch = src.channels;
  const out = new Uint8Array(outWidth * rows * ch);
  const { bounds, counts, weights, ksize } = c;
  const srcData = src.data;
  const srcStride = src.width * ch;
  for (let y = 0; y < rows; y++) {
    const rowOffset = (y + rowStart) * srcStride;
    const outRow = y * outWidth * ch;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx]!;
      const n = counts[xx]!;
      const kOffset = xx * ksize;
      for (let channel = 0; channel < ch; channel++) {
        let ss = HALF;
        let p = rowOffset + xmin * ch + channel;
        for (let x = 0; x < n; x++, p += ch) ss += srcData[p]! * weights[kOffset + x]!;
        out[outRow + xx * ch + channel] = clip8(ss);
      }
    }
  }
  return { width: outWidth, height: rows, channels: ch, data: out };
}

function resampleVertical(src: Image, outHeight: number, c: Coefficients, boundsOffset: number): Image {
  const ch = src.channels;
  const width = src.width;
  const stride = width * ch;
  const out = new Uint8Array(stride * outHeight);
  const { bounds, counts, weights, ksize } = c;
  const srcData = src.data;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy]! - boundsOffset;
    const n = counts[yy]!;
    const kOffset = yy * ksize;
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) {
      let ss = HALF;
      let p = ymin * stride + i;
      for (let y = 0; y < n; y++, p += stride) ss += srcData[p]! * weights[kOffset + y]!;
      out[outRow + i] = clip8(ss);
    }
  }
  return { width, height: outHeight, channels: ch, data: out };
}

/** Resize to exactly width x height (aspect ratio not kept), Pillow BILINEAR semantics. */
export function resize(image: Image, width: number, height: number): Image {
  assertImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === image.width && height === image.height) {
    return { ...image, data: new Uint8Array(image.data) };
  }
  const horizontal = precomputeCoefficients(image.width, 0, image.width, width);
  const vertical = precomputeCoefficients(image.height, 0, image.height, height);
  // Like Pillow, only the source rows the vertical pass reads go through the horizontal pass.
  const firstRow = vertical.bounds[0]!;
  const lastRow = vertical.bounds[height - 1]! + vertical.counts[height - 1]!;
  let current = image;
  let boundsOffset = 0;
  if (width !== image.width) {
    current = resampleHorizontal(image, width, horizontal, firstRow, lastRow - firstRow);
    boundsOffset = firstRow;
  }
  if (height !== image.height) {
    current = resampleVertical(current, height, vertical, boundsOffset);
  }
  return current;
}

/**
 * torchvision's `Resize(size)` with an int: the shorter side becomes `size`, the longer side
 * `int(size * long / short)` (truncated, as torchvision does).
 */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

export function resizeShorterSide(image: Image, size: number): Image {
  const [w, h] = shorterSideSize(image.width, image.height, size);
  return resize(image, w, h);
}
