/**
 * The decode rule: how large an image must be decoded before the model's `preprocess` runs.
 * A phone photo is 4032x3024 and the model needs 224 px, so holding the full frame (36 MB of
 * RGB) is waste — and on Workers, with 128 MB per isolate, a crash. JPEG can decode at reduced
 * scale in the DCT domain (libjpeg's `scale_num / scale_denom`, what sharp's shrink-on-load and
 * Pillow's `draft()` use), so every runtime decodes at the smallest such scale that still keeps
 * the shorter side at or above `minShorterSide`. The rule is stored in the model spec and applied
 * by the trainer (training and validation images), `ferry predict`, the Node server, Workers and
 * the browser page, so they all feed `preprocess` the same pixels. A model file without the rule
 * decodes at full size, as Ferry always did.
 *
 * Scales are counted in eighths (libjpeg's DCT block is 8 wide): M/8 for M = 1..8. Rules written
 * before `scales` existed allow only 1/8, 1/4, 1/2 and 1/1 (M = 1, 2, 4, 8) and keep decoding
 * exactly as they did; `scales: 'eighths'` allows every M, so a 500x375 photo under a 256 rule
 * decodes at 6/8 (375x282) instead of full size: ~30 % less decoding and resizing per photo.
 */
import type { TransformStep } from './transforms/pipeline.js';

export interface DecodeRule {
  /** JPEGs decode at the smallest allowed DCT scale whose shorter side is >= this. */
  minShorterSide: number;
  /**
   * Which DCT scales are allowed: 'eighths' = every M/8 (M = 1..8). Absent (model files from
   * before it): 1/8, 2/8, 4/8 and 8/8 only.
   */
  scales?: 'eighths';
  /**
   * 'box': formats without DCT scaling (PNG, WebP, GIF) are reduced by the largest integer box
   * factor that keeps the shorter side at or above `minShorterSide` (box-reduce.ts), so a 24-MP
   * screenshot is decoded row by row into a small frame. Absent (model files from before it):
   * those formats decode at full size.
   */
  reduce?: 'box';
}

/** A JPEG DCT scale in eighths: the image decodes at eighths/8 of its stored size (1..8). */
export type JpegEighths = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const POWERS_OF_TWO: readonly JpegEighths[] = [1, 2, 4];
const EIGHTHS: readonly JpegEighths[] = [1, 2, 3, 4, 5, 6, 7];

/** libjpeg's scaled size: each side times eighths/8, rounded up (jdiv_round_up). */
export function jpegScaledSize(
  width: number,
  height: number,
  eighths: JpegEighths,
): { width: number; height: number } {
  return { width: Math.ceil((width * eighths) / 8), height: Math.ceil((height * eighths) / 8) };
}

/**
 * The DCT scale, in eighths, for a JPEG of `width` x `height` (as stored: orientation does not
 * change which side is shorter). 8 (full size) when there is no rule (old model files) or no
 * smaller allowed scale keeps the shorter side at `minShorterSide`.
 */
export function jpegScaleEighths(width: number, height: number, rule: DecodeRule | undefined): JpegEighths {
  if (!rule) return 8;
  for (const eighths of rule.scales === 'eighths' ? EIGHTHS : POWERS_OF_TWO) {
    const scaled = jpegScaledSize(width, height, eighths);
    if (Math.min(scaled.width, scaled.height) >= rule.minShorterSide) return eighths;
  }
  return 8;
}

/**
 * The box factor k for an image of `width` x `height` in a format without DCT scaling: the
 * largest k whose reduced frame (each side divided by k, rounded up) keeps the shorter side at or
 * above the rule's minimum. 1 (full size) without a rule or without `reduce: 'box'`.
 */
export function boxReduceFactor(width: number, height: number, rule: DecodeRule | undefined): number {
  if (rule?.reduce !== 'box') return 1;
  // ceil(side / k) >= n exactly when k < side / (n - 1): start at the largest such k.
  const shorter = Math.min(width, height);
  let factor =
    rule.minShorterSide > 1 ? Math.max(1, Math.ceil(shorter / (rule.minShorterSide - 1)) - 1) : shorter;
  while (factor > 1 && Math.min(Math.ceil(width / factor), Math.ceil(height / factor)) < rule.minShorterSide)
    factor--;
  return factor;
}

/** The frame a box factor gives: each side divided by `factor`, rounded up (edge boxes are partial). */
export function boxReducedSize(
  width: number,
  height: number,
  factor: number,
): { width: number; height: number } {
  return { width: Math.ceil(width / factor), height: Math.ceil(height / factor) };
}

/** "1/8", "3/4", "1/1": a scale in eighths as a reduced fraction, for messages. */
export function formatJpegScale(eighths: JpegEighths): string {
  let num: number = eighths;
  let denom = 8;
  while (num % 2 === 0 && denom > 1) {
    num /= 2;
    denom /= 2;
  }
  return `${num}/${denom}`;
}

/**
 * The rule a pipeline needs: the shorter side must not drop below any size the pipeline
 * resizes or crops to, so decoding small never makes `preprocess` upsample what a full decode
 * would have downsampled. For the default eval pipeline (shorter side to 256, crop 224) it is 256.
 * New rules allow every M/8 scale and box-reduce other formats.
 */
export function decodeRuleForPipeline(steps: readonly TransformStep[]): DecodeRule {
  let minShorterSide = 1;
  for (const step of steps) {
    switch (step.op) {
      case 'resizeShorterSide':
        minShorterSide = Math.max(minShorterSide, step.size);
        break;
      case 'resize':
      case 'centerCrop':
      case 'randomResizedCrop':
        minShorterSide = Math.max(minShorterSide, step.width, step.height);
        break;
      default:
        break;
    }
  }
  return { minShorterSide, scales: 'eighths', reduce: 'box' };
}
