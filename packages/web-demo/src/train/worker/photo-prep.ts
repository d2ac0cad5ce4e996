/**
 * One batch of photos made ready for the backbone, as `ferry train`'s default prepares them: the
 * bytes checked against the page's limits, hashed, looked up in the feature cache, else decoded
 * by the same rule (JPEGs through @ferry/codec-jpeg's libjpeg-turbo, strict as the trainer is),
 * core's eval pipeline and normalization written straight into the batch's input. A thumbnail of
 * the model's view is kept; the decoded frame is dropped as soon as the input is made.
 */
import { JPEG_DECODER_ID } from '@ferry/codec-jpeg';
import {
  applyTransforms,
  boxReduce,
  type DecodeRule,
  type Image,
  type Normalization,
  readImageHeader,
  type TransformStep,
  toRgb,
  toTensor,
} from '@ferry/core';
import { decodeImageBytes } from '../../decode.js';
import { sha256Hex } from '../../hash.js';
import { checkFileSize, checkUpload } from '../../limits.js';
import { idbGetMany } from '../idb.js';
import type { PhotoJob } from '../protocol.js';

/** Thumbnails' side, about: a 224 view gives 56. */
const THUMB_SIZE = 56;

/** What preparing a photo needs to know of the backbone and its pipeline. */
export interface PrepSetup {
  /** The feature cache key's part for the backbone, layer, pipeline, normalization and code. */
  key: string;
  evalPipeline: TransformStep[];
  rule: DecodeRule;
  normalization: Normalization;
  width: number;
  height: number;
}

export type PhotoResult =
  | { id: string; hash: string; key: string; cached: boolean; features: Float32Array }
  | { id: string; hash?: string; error: string };

/** A photo the backbone has to see: its view is row `missing.indexOf(it)` of the batch's input. */
export interface MissingPhoto {
  id: string;
  hash: string;
  key: string;
  /** Stored with the features, by photo hash (the page shows it). */
  thumb: Image;
}

export interface PreparedBatch {
  /** Results ready now (cached features, unreadable photos), by photo id. */
  done: PhotoResult[];
  /** Their NHWC views are at the start of the caller's `input`, in this order. */
  missing: MissingPhoto[];
}

/** The cache key of one photo's features: JPEGs by the wasm decoder's id, others by this browser's. */
export function photoFeatureKey(setupKey: string, hash: string, bytes: Uint8Array): string {
  const decoder =
    readImageHeader(bytes)?.format === 'jpeg' ? JPEG_DECODER_ID : `browser ${navigator.userAgent}`;
  return `${setupKey}|${decoder}|${hash}`;
}

/**
 * The thumbnail: the model's 224x224 view (its crop, as the model sees the photo) box-reduced to
 * 56x56 RGB, 9 KB. No canvas: encoding a JPEG per photo cost more than the decode did.
 */
function thumbnail(view: Image): Image {
  return boxReduce(toRgb(view), Math.max(1, Math.floor(Math.min(view.width, view.height) / THUMB_SIZE)));
}

interface ReadPhoto {
  job: PhotoJob;
  bytes: Uint8Array;
  hash: string;
  key: string;
}

async function readAndHash(setup: PrepSetup, job: PhotoJob): Promise<ReadPhoto | PhotoResult> {
  try {
    checkFileSize(job.name, job.file.size);
    const bytes = new Uint8Array(await job.file.arrayBuffer());
    checkUpload(job.name, bytes);
    const hash = await sha256Hex(bytes);
    return { job, bytes, hash, key: photoFeatureKey(setup.key, hash, bytes) };
  } catch (error) {
    return { id: job.id, error: (error as Error).message };
  }
}

/** One batch read, hashed and looked up in the feature cache (I/O only: no decoding yet). */
export interface LookedUpBatch {
  /** Unreadable photos, by the reason. */
  failed: PhotoResult[];
  photos: (ReadPhoto & { cached?: Float32Array; thumb?: Image })[];
}

/**
 * Reads, hashes and looks up `jobs` (one batch). All of it waits on the browser's file, crypto
 * and IndexedDB threads, so the next batch's look-up runs while this worker decodes and runs the
 * backbone on the current one.
 */
export async function lookUpPhotos(setup: PrepSetup, jobs: PhotoJob[]): Promise<LookedUpBatch> {
  const read = await Promise.all(jobs.map((j) => readAndHash(setup, j)));
  const ok = read.filter((r): r is ReadPhoto => 'bytes' in r);
  const [features, thumbs] = await Promise.all([
    idbGetMany<Float32Array>(
      'features',
      ok.map((r) => r.key),
    ),
    idbGetMany<Image>(
      'thumbs',
      ok.map((r) => r.hash),
    ),
  ]);
  return {
    failed: read.filter((r): r is PhotoResult => !('bytes' in r)),
    photos: ok.map((photo, i) => ({
      ...photo,
      ...(features[i] ? { cached: features[i] } : {}),
      ...(thumbs[i] ? { thumb: thumbs[i] } : {}),
    })),
  };
}

/**
 * Decodes and transforms the photos of a looked-up batch that the cache lacks into `input` (room
 * for the whole batch; the caller reuses it from batch to batch: a fresh 5-10 MB array a batch
 * cost more in page faults than the normalization written into it).
 */
export async function prepareViews(
  setup: PrepSetup,
  batch: LookedUpBatch,
  input: Float32Array,
): Promise<PreparedBatch> {
  const plane = setup.width * setup.height * 3;
  const done: PhotoResult[] = [...batch.failed];
  const missing: MissingPhoto[] = [];
  for (const photo of batch.photos) {
    const { job, hash, key, cached, thumb } = photo;
    if (cached && thumb) {
      done.push({ id: job.id, hash, key, cached: true, features: cached });
      continue;
    }
    try {
      const image = await decodeImageBytes(photo.bytes, job.name, setup.rule, { strict: true });
      const view = applyTransforms(image, setup.evalPipeline);
      toTensor(view, setup.normalization, 'NHWC', input, missing.length * plane);
      missing.push({ id: job.id, hash, key, thumb: thumb ?? thumbnail(view) });
    } catch (error) {
      done.push({ id: job.id, hash, error: (error as Error).message });
    }
  }
  return { done, missing };
}
