import type { Image } from '../image.js';
import type { Random } from '../random.js';
import { colorJitter } from './color-jitter.js';
import { centerCrop, squareCrop } from './crop.js';
import { randomHorizontalFlip } from './flip.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { resize, resizeShorterSide } from './resize.js';

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
  for (const step of steps) out = applyTransform(out, step, random);
  return out;
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
