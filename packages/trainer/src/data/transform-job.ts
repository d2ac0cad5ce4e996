/**
 * One image's share of features-mode preprocessing: decode (sharp) and, for each requested view,
 * core's transforms + normalization. Pure function of its input, so it gives the same floats in
 * a worker thread as in the main thread.
 */
import { applyTransforms, createRandom, type Normalization, type TransformStep, toTensor } from '@ferry/core';
import { DecodeError, decodeImageBuffer } from './decode.js';

export interface ViewRequest {
  view: number;
  pipeline: readonly TransformStep[];
  /** Seed of this view's random transforms (`viewSeed(seed, hash, view)`). */
  seed: number;
}

export interface TransformJob {
  bytes: Uint8Array;
  path: string;
  views: ViewRequest[];
  normalization: Normalization;
}

/** Network inputs in `views` order, or the one-line reason the file was skipped. */
export type TransformResult = { inputs: Float32Array[] } | { error: string };

export async function runTransformJob(job: TransformJob): Promise<TransformResult> {
  try {
    const image = await decodeImageBuffer(job.bytes, job.path);
    return {
      inputs: job.views.map((v) =>
        toTensor(applyTransforms(image, v.pipeline, createRandom(v.seed)), job.normalization),
      ),
    };
  } catch (error) {
    return { error: error instanceof DecodeError ? error.reason : (error as Error).message };
  }
}
