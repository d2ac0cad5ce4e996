import type { Image } from '../image.js';
import type { Random } from '../random.js';
import { colorJitter } from './color-jitter.js';
import { centerCrop, roundHalfEven, squareCrop } from './crop.js';
import { randomHorizontalFlip } from './flip.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { resize, resizeShorterSide, resizeWindow, shorterSideSize } from './resize.js';

/**
 * A transform as data: pipelines are stored in the model spec (and so in the ONNX file) and
 * replayed identically by the trainer, the edge API and the browser.
 */
export type TransformStep =
  | { op: 'resize'; width: number; height: number }
  | { op: 'resizeShorterSide'; size: number }
  | { op: 'centerCrop'; width: number; height: number }
  | { op: 'squareCrop' }
  | {
      op: 'randomResizedCrop';
      width: number;
      height: number;
      scale: [number, number];
      ratio: [number, number];
    }
  | { op: 'randomHorizontalFlip'; p: number }
  | { op: 'colorJitter'; brightness: number; contrast: number; saturation: number; hue: number };

export type TransformOp = TransformStep['op'];

export const RANDOM_OPS: ReadonlySet<TransformOp> = new Set([
  'randomResizedCrop',
  'randomHorizontalFlip',
  'colorJitter',
]);

export function isRandomPipeline(steps: readonly TransformStep[]): boolean {
  return steps.some((s) => RANDOM_OPS.has(s.op));
}

export function applyTransform(image: Image, step: TransformStep, random?: Random): Image {
  const needRandom = (): Random => {
    if (!random) throw new Error(`transform '${step.op}' is random and needs a seeded Random`);
    return random;
  };
  switch (step.op) {
    case 'resize':
      return resize(image, step.width, step.height);
    case 'resizeShorterSide':
      return resizeShorterSide(image, step.size);
    case 'centerCrop':
      return centerCrop(image, step.width, step.height);
    case 'squareCrop':
      return squareCrop(image);
    case 'randomResizedCrop':
      return randomResizedCrop(image, step.width, step.height, needRandom(), step.scale, step.ratio);
    case 'randomHorizontalFlip':
      return randomHorizontalFlip(image, needRandom(), step.p);
    case 'colorJitter':
      return colorJitter(image, needRandom(), step);
    default: {
      const unknown: never = step;
      throw new Error(`unknown transform ${JSON.stringify(unknown)}`);
    }
  }
}

export function applyTransforms(image: Image, steps: readonly TransformStep[], random?: Random): Image {
  let out = image;
  for (let i = 0; i < steps.length; i++) {
    const fused = resizeThenCenterCrop(out, steps[i]!, steps[i + 1]);
    if (fused) {
      out = fused;
      i++;
    } else out = applyTransform(out, steps[i]!, random);
  }
  return out;
}

/**
 * A resize followed by a centre crop that fits inside it (the eval pipeline) resamples only the
 * cropped window: the same bytes as the two steps one after the other, less work. Undefined
 * when the pair does not apply.
 */
function resizeThenCenterCrop(image: Image, step: TransformStep, next: TransformStep | undefined) {
  if (next?.op !== 'centerCrop') return undefined;
  let size: [number, number];
  if (step.op === 'resizeShorterSide') size = shorterSideSize(image.width, image.height, step.size);
  else if (step.op === 'resize') size = [step.width, step.height];
  else return undefined;
  const [w, h] = size;
  if (next.width > w || next.height > h) return undefined;
  const left = roundHalfEven((w - next.width) / 2);
  const top = roundHalfEven((h - next.height) / 2);
  return resizeWindow(image, w, h, left, top, next.width, next.height);
}

/** The output size of a pipeline for an input size, without touching pixels. */
export function pipelineOutputSize(
  steps: readonly TransformStep[],
  width: number,
  height: number,
): { width: number; height: number } {
  let w = width;
  let h = height;
  for (const step of steps) {
    switch (step.op) {
      case 'resize':
      case 'centerCrop':
      case 'randomResizedCrop':
        w = step.width;
        h = step.height;
        break;
      case 'resizeShorterSide':
        if (w <= h) [w, h] = [step.size, Math.trunc((step.size * h) / w)];
        else [w, h] = [Math.trunc((step.size * w) / h), step.size];
        break;
      case 'squareCrop':
        w = h = Math.min(w, h);
        break;
      default:
        break;
    }
  }
  return { width: w, height: h };
}

/** The classic eval pipeline: shorter side to size*256/224, then a centre crop (torchvision). */
export function defaultEvalPipeline(width: number, height: number): TransformStep[] {
  return [
    { op: 'resizeShorterSide', size: Math.round((Math.max(width, height) * 256) / 224) },
    { op: 'centerCrop', width, height },
  ];
}

/** The classic train augmentation: RandomResizedCrop + horizontal flip (+ optional jitter). */
export function defaultTrainPipeline(width: number, height: number, jitter = 0): TransformStep[] {
  const steps: TransformStep[] = [
    { op: 'randomResizedCrop', width, height, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
    { op: 'randomHorizontalFlip', p: 0.5 },
  ];
  if (jitter > 0)
    steps.push({ op: 'colorJitter', brightness: jitter, contrast: jitter, saturation: jitter, hue: 0 });
  return steps;
}
