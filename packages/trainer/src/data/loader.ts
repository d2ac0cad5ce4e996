/**
 * Lazily decodes and preprocesses samples through core's transforms into model-ready float
 * tensors, in parallel with a bounded prefetch queue. Bad files are reported, never thrown.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  applyTransforms,
  createRandom,
  type DecodeRule,
  decodeRuleForPipeline,
  type Image,
  type Normalization,
  type Random,
  type TransformStep,
  toTensor,
} from '@ferry/core';
import type { Sample } from './dataset.js';
import { DecodeError, decodeImageFile } from './decode.js';
import { prefetchMap } from './prefetch.js';

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface LoadedSample {
  sample: Sample;
  /** sha256 of the file bytes: the feature-cache key. */
  hash: string;
  /** The preprocessed image (kept small: width x height of the model input). */
  image: Image;
  /** Normalized NHWC floats of `image`. */
  input: Float32Array;
}

export interface LoadOptions {
  pipeline: readonly TransformStep[];
  /**
   * How large to decode JPEGs (core's decode rule). Default: the rule `pipeline` needs — for an
   * eval pipeline, exactly the rule createModelSpec stores in the model, so validation images
   * decode as served ones will. null decodes at full size.
   */
  decode?: DecodeRule | null;
  normalization: Normalization;
  /** Seed of the random transforms; combined with the file hash and `view` per image. */
  seed?: number;
  view?: number;
  concurrency?: number;
  /**
   * With this probability an image goes through `plainView.pipeline` instead of `pipeline`:
   * finetune shows the plain eval view among augmented ones, as features mode trains its head.
   */
  plainView?: PlainView;
}

export interface PlainView {
  pipeline: readonly TransformStep[];
  probability: number;
}

/** The pipeline one image is shown through; draws from `random` only when there is a choice. */
export function pickPipeline(
  options: Pick<LoadOptions, 'pipeline' | 'plainView'>,
  random: Random,
): readonly TransformStep[] {
  const plain = options.plainView;
  return plain && random.next() < plain.probability ? plain.pipeline : options.pipeline;
}

export function defaultConcurrency(): number {
  return Math.max(2, availableParallelism() * 2);
}

/** The decode rule of a load: the explicit one, else the one its pipeline needs. */
export function decodeRuleOf(options: Pick<LoadOptions, 'pipeline' | 'decode'>): DecodeRule | undefined {
  if (options.decode === null) return undefined;
  return options.decode ?? decodeRuleForPipeline(options.pipeline);
}

/** A per-image seed that does not depend on order, so parallel decoding stays reproducible. */
export function viewSeed(seed: number, hash: string, view: number): number {
  const h = createHash('sha256').update(`${seed}:${hash}:${view}`).digest();
  return h.readUInt32LE(0);
}

export async function loadSample(sample: Sample, options: LoadOptions): Promise<LoadedSample> {
  const { image: decoded, bytes } = await decodeImageFile(sample.path, decodeRuleOf(options));
  const hash = createHash('sha256').update(bytes).digest('hex');
  const random = createRandom(viewSeed(options.seed ?? 0, hash, options.view ?? 0));
  const image = applyTransforms(decoded, pickPipeline(options, random), random);
  return { sample, hash, image, input: toTensor(image, options.normalization) };
}

/**
 * Yields loaded samples in order; files that fail to decode are passed to `onSkip` and dropped.
 */
export async function* loadSamples(
  samples: readonly Sample[],
  options: LoadOptions,
  onSkip: (skipped: SkippedFile) => void,
): AsyncGenerator<LoadedSample> {
  const results = prefetchMap(
    samples,
    async (sample) => {
      try {
        return await loadSample(sample, options);
      } catch (error) {
        if (error instanceof DecodeError) return { skipped: { path: sample.path, reason: error.reason } };
        return { skipped: { path: sample.path, reason: `cannot preprocess: ${(error as Error).message}` } };
      }
    },
    options.concurrency ?? defaultConcurrency(),
  );
  for await (const r of results) {
    if ('skipped' in r) onSkip(r.skipped);
    else yield r;
  }
}

/** Concatenates per-image inputs into one batch buffer without going through JS arrays. */
export function stackInputs(batch: readonly { input: Float32Array }[]): Float32Array {
  const plane = batch[0]?.input.length ?? 0;
  const out = new Float32Array(batch.length * plane);
  batch.forEach((b, i) => out.set(b.input, i * plane));
  return out;
}
