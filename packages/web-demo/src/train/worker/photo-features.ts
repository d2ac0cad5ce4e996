/**
 * One photo's features, as `ferry train`'s default computes them: the bytes checked against the
 * page's limits, hashed, looked up in the feature cache, else decoded by the same rule (JPEGs
 * through @ferry/codec-jpeg's libjpeg-turbo, strict as the trainer is), core's eval pipeline and
 * normalization, then the backbone in batches. A thumbnail is kept beside the features; the
 * decoded frame is dropped as soon as the model input is made.
 */
import { JPEG_DECODER_ID } from '@ferry/codec-jpeg';
import {
  applyTransforms,
  centerCrop,
  type DecodeRule,
  decodeRuleForPipeline,
  defaultEvalPipeline,
  type Image,
  readImageHeader,
  resizeShorterSide,
  type TransformStep,
  toRgb,
  toTensor,
} from '@ferry/core';
import { decodeImageBytes } from '../../decode.js';
import { checkFileSize, checkUpload } from '../../limits.js';
import { idbGetMany, idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import { type LoadedBackbone, runBackbone } from './backbone.js';
import { sha256Hex } from './hash.js';

/**
 * Photos per onnxruntime-web call. Its wasm kernels run MobileNetV2 markedly faster per photo
 * in batches of 16 than of 4 (the trainer's onnxruntime-node batch); 16 inputs are 9.6 MB.
 */
const BACKBONE_BATCH = 16;
const THUMB_SIZE = 96;

declare const __FERRY_CODE_ID__: string;

export interface FeatureSetup {
  backbone: LoadedBackbone;
  evalPipeline: TransformStep[];
  rule: DecodeRule;
  /** Everything but the photo and its decoder: backbone, layer, pipeline, normalization, code. */
  key: string;
}

export async function featureSetup(backbone: LoadedBackbone): Promise<FeatureSetup> {
  const evalPipeline = defaultEvalPipeline(backbone.width, backbone.height);
  const key = await sha256Hex(
    new TextEncoder().encode(
      JSON.stringify([
        backbone.hash,
        backbone.request.featureLayer,
        evalPipeline,
        backbone.request.normalization,
        __FERRY_CODE_ID__,
      ]),
    ),
  );
  return { backbone, evalPipeline, rule: decodeRuleForPipeline(evalPipeline), key: key.slice(0, 32) };
}

/** The cache key of one photo's features: JPEGs by the wasm decoder's id, others by this browser's. */
export function photoFeatureKey(setup: FeatureSetup, hash: string, bytes: Uint8Array): string {
  const decoder =
    readImageHeader(bytes)?.format === 'jpeg' ? JPEG_DECODER_ID : `browser ${navigator.userAgent}`;
  return `${setup.key}|${decoder}|${hash}`;
}

export type PhotoResult =
  | { id: string; hash: string; key: string; thumb: Blob; cached: boolean; features: Float32Array }
  | { id: string; hash?: string; error: string };

/** A small JPEG of the model's view (its crop, as the model sees the photo). */
async function thumbnail(image: Image): Promise<Blob> {
  const square = centerCrop(resizeShorterSide(toRgb(image), THUMB_SIZE), THUMB_SIZE, THUMB_SIZE);
  const rgba = new Uint8ClampedArray(THUMB_SIZE * THUMB_SIZE * 4);
  for (let i = 0, j = 0; i < square.data.length; i += 3, j += 4) {
    rgba[j] = square.data[i]!;
    rgba[j + 1] = square.data[i + 1]!;
    rgba[j + 2] = square.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  const canvas = new OffscreenCanvas(THUMB_SIZE, THUMB_SIZE);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, THUMB_SIZE, THUMB_SIZE), 0, 0);
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
}

/** A photo read and hashed, its cache entries looked up. */
interface ReadPhoto {
  job: PhotoJob;
  bytes: Uint8Array;
  hash: string;
  key: string;
}

async function readAndHash(setup: FeatureSetup, job: PhotoJob): Promise<ReadPhoto | PhotoResult> {
  try {
    checkFileSize(job.name, job.file.size);
    const bytes = new Uint8Array(await job.file.arrayBuffer());
    checkUpload(job.name, bytes);
    const hash = await sha256Hex(bytes);
    return { job, bytes, hash, key: photoFeatureKey(setup, hash, bytes) };
  } catch (error) {
    return { id: job.id, error: (error as Error).message };
  }
}

/**
 * Runs jobs in order, BACKBONE_BATCH at a time: read and hash, one cache lookup for the batch,
 * decode and transform the photos it lacks straight into the batch's input, one backbone call,
 * then `onResult` for each photo in order. Thumbnails are encoded and the cache written while the
 * next batch is read (both wait on other threads, not this one). `stopped()` is asked between
 * batches; returns the ids left undone.
 */
export async function computeFeatures(
  setup: FeatureSetup,
  jobs: PhotoJob[],
  onResult: (result: PhotoResult) => void,
  stopped: () => boolean,
): Promise<string[]> {
  const { dim, width, height, request } = setup.backbone;
  const plane = width * height * 3;
  const input = new Float32Array(plane * BACKBONE_BATCH);
  let writing: Promise<unknown> = Promise.resolve();
  try {
    for (let start = 0; start < jobs.length; start += BACKBONE_BATCH) {
      if (stopped()) return jobs.slice(start).map((j) => j.id);
      const read = await Promise.all(
        jobs.slice(start, start + BACKBONE_BATCH).map((j) => readAndHash(setup, j)),
      );
      const ok = read.filter((r): r is ReadPhoto => 'bytes' in r);
      const [features, thumbs] = await Promise.all([
        idbGetMany<Float32Array>(
          'features',
          ok.map((r) => r.key),
        ),
        idbGetMany<Blob>(
          'thumbs',
          ok.map((r) => r.hash),
        ),
      ]);
      const results = new Map<string, PhotoResult>();
      const missing: { photo: ReadPhoto; thumb: Promise<Blob> }[] = [];
      for (const [i, photo] of ok.entries()) {
        const { job, hash, key } = photo;
        const cached = features[i];
        if (cached && thumbs[i]) {
          results.set(job.id, { id: job.id, hash, key, thumb: thumbs[i]!, cached: true, features: cached });
          continue;
        }
        try {
          const image = await decodeImageBytes(photo.bytes, job.name, setup.rule, { strict: true });
          const view = applyTransforms(image, setup.evalPipeline);
          toTensor(view, request.normalization, 'NHWC', input, missing.length * plane);
          missing.push({ photo, thumb: thumbs[i] ? Promise.resolve(thumbs[i]!) : thumbnail(view) });
        } catch (error) {
          results.set(job.id, { id: job.id, hash, error: (error as Error).message });
        }
      }
      if (missing.length > 0) {
        const out = await runBackbone(
          setup.backbone,
          input.subarray(0, missing.length * plane),
          missing.length,
        );
        const rows = await Promise.all(
          missing.map(async (m, i) => ({
            ...m,
            thumb: await m.thumb,
            features: out.slice(i * dim, (i + 1) * dim),
          })),
        );
        const previous = writing;
        writing = previous.then(() =>
          Promise.all([
            idbPutAll(
              'features',
              rows.map((r) => ({ key: r.photo.key, value: r.features })),
            ),
            idbPutAll(
              'thumbs',
              rows.map((r) => ({ key: r.photo.hash, value: r.thumb })),
            ),
          ]),
        );
        for (const r of rows) {
          const { job, hash, key } = r.photo;
          results.set(job.id, { id: job.id, hash, key, thumb: r.thumb, cached: false, features: r.features });
        }
      }
      for (const r of read) onResult('bytes' in r ? results.get(r.job.id)! : r);
    }
    return [];
  } finally {
    await writing;
  }
}
