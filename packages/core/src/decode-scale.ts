/**
 * The decode rule: how large an image must be decoded before the model's `preprocess` runs.
 * A phone photo is 4032x3024 and the model needs 224 px, so holding the full frame (36 MB of
 * RGB) is waste — and on Workers, with 128 MB per isolate, a crash. JPEG can decode at 1/2, 1/4
 * or 1/8 scale in the DCT domain (libjpeg's `scale_denom`, what sharp's shrink-on-load and
 * Pillow's `draft()` use), so every runtime decodes at the smallest such scale that still keeps
 * the shorter side at or above `minShorterSide`. The rule is stored in the model spec and applied
 * by the trainer (training and validation images), `ferry predict`, the Node server, Workers and
 * the browser page, so they all feed `preprocess` the same pixels. A model file without the rule
 * decodes at full size, as Ferry always did.
 */
import type { TransformStep } from './transforms/pipeline.js';

export interface DecodeRule {
  /** JPEGs decode at the smallest DCT scale 1/1, 1/2, 1/4, 1/8 whose shorter side is >= this. */
  minShorterSide: number;
}

export type JpegScaleDenominator = 1 | 2 | 4 | 8;

const DENOMINATORS: readonly JpegScaleDenominator[] = [8, 4, 2];

/** libjpeg's scaled size: each side divided by the denominator, rounded up (jdiv_round_up). */
export function jpegScaledSize(
  width: number,
  height: number,
  denominator: JpegScaleDenominator,
): { width: number; height: number } {
  return { width: Math.ceil(width / denominator), height: Math.ceil(height / denominator) };
}

/**
 * The DCT scale denominator for a JPEG of `width` x `height` (as stored: orientation does not
 * change which side is shorter). 1 when there is no rule (old model files) or no smaller scale
 * keeps the shorter side at `minShorterSide`.
 */
export function jpegScaleDenominator(
  width: number,
  height: number,
  rule: DecodeRule | undefined,
): JpegScaleDenominator {
  if (!rule) return 1;
  for (const denominator of DENOMINATORS) {
    const scaled = jpegScaledSize(width, height, denominator);
    if (Math.min(scaled.width, scaled.height) >= rule.minShorterSide) return denominator;
  }
  return 1;
}

/**
 * The rule a pipeline needs: the shorter side must not drop below any size the pipeline
 * resizes or crops to, so decoding small never makes `preprocess` upsample what a full decode
 * would have downsampled. For the default eval pipeline (shorter side to 256, crop 224) it is 256.
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
  return { minShorterSide };
}
