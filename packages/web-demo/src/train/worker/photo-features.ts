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
import { decodeImage } from '../../decode.js';
import { checkFileSize, checkUpload } from '../../limits.js';
import { idbGet, idbPutAll } from '../idb.js';
import type { PhotoJob } from '../protocol.js';
import { type LoadedBackbone, runBackbone } from './backbone.js';
import { sha256Hex } from './hash.js';

/** Photos per onnxruntime call, as the trainer batches them (train/modes/features.ts). */
const BACKBONE_BATCH = 4;
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

interface Pending {
  id: string;
  hash: string;
  key: string;
  thumb: Blob;
  input: Float32Array;
}

/**
 * Runs jobs in order, `onResult` for each as it finishes; cached photos answer at once, the
 * others go through the backbone BACKBONE_BATCH at a time. `stopped()` is asked between photos.
 */
export async function computeFeatures(
  setup: FeatureSetup,
  jobs: PhotoJob[],
  onResult: (result: PhotoResult) => void,
  stopped: () => boolean,
): Promise<string[]> {
  let pending: Pending[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const plane = batch[0]!.input.length;
    const input = new Float32Array(plane * batch.length);
    batch.forEach((p, i) => input.set(p.input, i * plane));
    const out = await runBackbone(setup.backbone, input, batch.length);
    const dim = setup.backbone.dim;
    const rows = batch.map((p, i) => ({ ...p, features: out.slice(i * dim, (i + 1) * dim) }));
    await idbPutAll(
      'features',
      rows.map((r) => ({ key: r.key, value: r.features })),
    );
    await idbPutAll(
      'thumbs',
      rows.map((r) => ({ key: r.hash, value: r.thumb })),
    );
    for (const r of rows)
      onResult({ id: r.id, hash: r.hash, key: r.key, thumb: r.thumb, cached: false, features: r.features });
  };
  let index = 0;
  for (; index < jobs.length && !stopped(); index++) {
    const job = jobs[index]!;
    const outcome = await readPhoto(setup, job);
    if ('input' in outcome) {
      pending.push(outcome);
      if (pending.length === BACKBONE_BATCH) await flush();
    } else {
      onResult(outcome);
    }
  }
  await flush();
  return jobs.slice(index).map((j) => j.id);
}

async function readPhoto(setup: FeatureSetup, job: PhotoJob): Promise<Pending | PhotoResult> {
  try {
    checkFileSize(job.name, job.file.size);
    const bytes = new Uint8Array(await job.file.arrayBuffer());
    checkUpload(job.name, bytes);
    const hash = await sha256Hex(bytes);
    const key = photoFeatureKey(setup, hash, bytes);
    const [features, thumb] = await Promise.all([
      idbGet<Float32Array>('features', key),
      idbGet<Blob>('thumbs', hash),
    ]);
    if (features && thumb) return { id: job.id, hash, key, thumb, cached: true, features };
    const image = await decodeImage(new Blob([bytes]), job.name, setup.rule, { strict: true });
    const view = applyTransforms(image, setup.evalPipeline);
    return {
      id: job.id,
      hash,
      key,
      thumb: thumb ?? (await thumbnail(image)),
      input: toTensor(view, setup.backbone.request.normalization, 'NHWC'),
    };
  } catch (error) {
    return { id: job.id, error: (error as Error).message };
  }
}
