/**
 * One image's share of features-mode preprocessing: decode (sharp) and, for each requested view,
 * core's transforms + normalization. Pure function of its input, so it gives the same floats in
 * a worker thread as in the main thread.
 */
import {
  applyTransforms,
  createRandom,
  type DecodeRule,
  horizontalFlip,
  type Image,
  type Normalization,
  type TransformStep,
  toTensor,
} from '@ferry/core';
import { DecodeError, decodeImageBuffer } from './decode.js';

export interface ViewRequest {
  view: number;
  pipeline: readonly TransformStep[];
  /** Seed of this view's random transforms (`viewSeed(seed, hash, view)`). */
  seed: number;
  /**
   * Index (in the job's `views`) of an earlier view this one mirrors: its image flipped left to
   * right, without running `pipeline` again (the mirrored plain view costs a flip, not a resize).
   */
  mirrorOf?: number;
}

export interface TransformJob {
  bytes: Uint8Array;
  path: string;
  views: ViewRequest[];
  normalization: Normalization;
  /** How large to decode a JPEG (core's decode rule); absent: full size. */
  decode?: DecodeRule;
}

/** Network inputs in `views` order, or the one-line reason the file was skipped. */
export type TransformResult = { inputs: Float32Array[] } | { error: string };

/**
 * `allocate` gives the float arrays the inputs are written into (a recycled buffer of the right
 * size, see photo-views-job.ts); default a new array each.
 */
export async function runTransformJob(
  job: TransformJob,
  allocate: (floats: number) => Float32Array = (floats) => new Float32Array(floats),
): Promise<TransformResult> {
  try {
    const image = await decodeImageBuffer(job.bytes, job.path, job.decode);
    const images: Image[] = [];
    for (const v of job.views) {
      const source = v.mirrorOf === undefined ? undefined : images[v.mirrorOf];
      images.push(source ? horizontalFlip(source) : applyTransforms(image, v.pipeline, createRandom(v.seed)));
    }
    return {
      inputs: images.map((im) => toTensor(im, job.normalization, 'NHWC', allocate(im.width * im.height * 3))),
    };
  } catch (error) {
    return { error: error instanceof DecodeError ? error.reason : (error as Error).message };
  }
}
