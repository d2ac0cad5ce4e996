/**
 * One photo decoded at a decode rule and put through deterministic transforms (no random steps):
 * report.html's thumbnails, on the transform pool's workers once extraction is over. There the
 * decoder and core's resize are compiled and warm; on the main thread they ran cold, about 180 ms
 * for a report's 60 thumbnails.
 */
import { applyTransforms, type DecodeRule, type Image, type TransformStep } from '@ferry/core';
import { DecodeError, decodeImageFile } from './decode.js';

export interface ImageJob {
  kind: 'image';
  path: string;
  decode?: DecodeRule;
  /** Deterministic steps only: a random one would draw from a fixed seed here. */
  steps: readonly TransformStep[];
}

export type ImageResult = { image: Image } | { error: string };

export async function runImageJob(job: ImageJob): Promise<ImageResult> {
  try {
    const { image } = await decodeImageFile(job.path, job.decode);
    return { image: applyTransforms(image, job.steps) };
  } catch (error) {
    return { error: error instanceof DecodeError ? error.reason : (error as Error).message };
  }
}
