/**
 * Finds a backbone's model.json: a registry id is looked up in the read-only mirror
 * (FERRY_MODELS_DIR/<id>/model.json), then the cache (FERRY_CACHE_DIR, default ~/.cache/ferry),
 * then downloaded into the cache. A directory or model.json path is used as is; a URL is
 * downloaded into the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Normalization } from '@ferry/core';
import { DEFAULT_BACKBONE, findBackbone } from '@ferry/model';
import { writeFileAtomic } from '../io/atomic-write.js';
import { DownloadError, type DownloadProgress, downloadFile } from './download.js';

export class BackboneError extends Error {
  override name = 'BackboneError';
}

export interface ResolvedBackbone {
  /** Registry id, or the path/URL given. */
  id: string;
  /** Local path of model.json. */
  modelJson: string;
  /** Where it came from (URL or path), for the spec. */
  source: string;
  featureLayer: string;
  normalization: Normalization;
}

export function cacheDir(): string {
  return process.env.FERRY_CACHE_DIR || join(homedir(), '.cache', 'ferry');
}

interface ManifestJson {
  weightsManifest?: { paths: string[]; weights: { shape: number[]; dtype?: string }[] }[];
}

/** Bytes each shard group must hold according to the manifest (float32 weights). */
function expectedWeightBytes(manifest: ManifestJson): number {
  let total = 0;
  for (const group of manifest.weightsManifest ?? [])
    for (const w of group.weights) total += w.shape.reduce((a, b) => a * b, 1) * 4;
  return total;
}

async function downloadModel(
  url: string,
  dir: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<string> {
  const modelJson = join(dir, 'model.json');
  const manifestText = await (async () => {
    const temp = join(dir, '.model.json.download');
    await downloadFile(url, temp, onProgress ? { onProgress } : {});
    return readFile(temp, 'utf8');
  })();
  let manifest: ManifestJson;
  try {
    manifest = JSON.parse(manifestText) as ManifestJson;
  } catch {
    throw new BackboneError(`${url} is not a TensorFlow.js model.json (invalid JSON)`);
  }
  if (!Array.isArray(manifest.weightsManifest)) {
    throw new BackboneError(`${url} is not a TensorFlow.js LayersModel (no weightsManifest)`);
  }
  let received = 0;
  for (const group of manifest.weightsManifest) {
    for (const shard of group.paths) {
      const target = join(dir, shard);
      if (existsSync(target)) {
        received += (await stat(target)).size;
        continue;
      }
      const r = await downloadFile(new URL(shard, url).toString(), target, onProgress ? { onProgress } : {});
      received += r.bytes;
    }
  }
  const expected = expectedWeightBytes(manifest);
  if (received < expected) {
    throw new BackboneError(
      `weights downloaded from ${url} hold ${received} bytes, the manifest needs ${expected}`,
    );
  }
  // model.json last: its presence marks a complete cache entry.
  await writeFileAtomic(modelJson, manifestText);
  await rm(join(dir, '.model.json.download'), { force: true });
  return modelJson;
}

export async function resolveBackbone(
  spec: string = DEFAULT_BACKBONE,
  options: {
    featureLayer?: string;
    normalization?: Normalization;
    onProgress?: (p: DownloadProgress) => void;
  } = {},
): Promise<ResolvedBackbone> {
  const known = findBackbone(spec);
  if (known) {
    const mirror = process.env.FERRY_MODELS_DIR;
    const base = {
      id: known.id,
      featureLayer: options.featureLayer ?? known.featureLayer,
      normalization: options.normalization ?? known.normalization,
    };
    if (mirror && existsSync(join(mirror, known.id, 'model.json'))) {
      return { ...base, modelJson: join(mirror, known.id, 'model.json'), source: known.url };
    }
    const cached = join(cacheDir(), 'backbones', known.id);
    if (existsSync(join(cached, 'model.json')))
      return { ...base, modelJson: join(cached, 'model.json'), source: known.url };
    const offline = (why: string) =>
      new BackboneError(
        `backbone ${known.id} is not available offline (${why}). ` +
          `Download ${known.url} (and its weight files) by hand, or set FERRY_MODELS_DIR to a mirror containing ${known.id}/model.json`,
      );
    // FERRY_OFFLINE=1: never touch the network (air-gapped machines, tests).
    if (process.env.FERRY_OFFLINE === '1') throw offline('FERRY_OFFLINE=1 forbids downloads');
    try {
      const modelJson = await downloadModel(known.url, cached, options.onProgress);
      return { ...base, modelJson, source: known.url };
    } catch (error) {
      if (!(error instanceof DownloadError)) throw error;
      throw offline(`the download failed: ${error.message}`);
    }
  }
  const fallbackNorm: Normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 };
  if (/^https?:\/\//.test(spec)) {
    if (!options.featureLayer)
      throw new BackboneError(`--backbone ${spec} is a URL: also pass --feature-layer NAME`);
    const dir = join(
      cacheDir(),
      'backbones',
      `url-${createHash('sha256').update(spec).digest('hex').slice(0, 16)}`,
    );
    const modelJson = existsSync(join(dir, 'model.json'))
      ? join(dir, 'model.json')
      : await downloadModel(spec, dir, options.onProgress).catch((error: unknown) => {
          if (error instanceof DownloadError) throw new BackboneError(error.message);
          throw error;
        });
    return {
      id: spec,
      modelJson,
      source: spec,
      featureLayer: options.featureLayer,
      normalization: options.normalization ?? fallbackNorm,
    };
  }
  const path = resolve(spec);
  const modelJson = path.endsWith('.json') ? path : join(path, 'model.json');
  if (!existsSync(modelJson)) {
    throw new BackboneError(
      `unknown backbone "${spec}": not a registry id, URL, or directory with model.json (known: ${[
        'mobilenet_v2_{0.35,0.50,0.75,1.00}_224',
        'mobilenet_v1_{0.25,0.50,0.75,1.0}_224',
      ].join(', ')})`,
    );
  }
  if (!options.featureLayer)
    throw new BackboneError(`--backbone ${spec} is a local model: also pass --feature-layer NAME`);
  return {
    id: spec,
    modelJson,
    source: path,
    featureLayer: options.featureLayer,
    normalization: options.normalization ?? fallbackNorm,
  };
}

/**
 * The input size a Keras model.json declares on its input layer, read without TensorFlow.js
 * (features mode starts decoding before tfjs is loaded); undefined where it does not say.
 * loadModels checks it against the loaded model.
 */
export async function readDeclaredInputSize(
  modelJson: string,
): Promise<{ width: number; height: number } | undefined> {
  try {
    const json = JSON.parse(await readFile(modelJson, 'utf8')) as {
      modelTopology?: { model_config?: { config?: KerasConfig }; config?: KerasConfig };
    };
    const topology = json.modelTopology;
    const config = topology?.model_config?.config ?? topology?.config;
    const input = config?.layers?.find((l) => l.class_name === 'InputLayer');
    const shape = input?.config?.batch_input_shape;
    if (shape?.length !== 4 || shape[3] !== 3) return undefined;
    const [, height, width] = shape;
    return typeof width === 'number' && typeof height === 'number' ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

interface KerasConfig {
  layers?: { class_name?: string; config?: { batch_input_shape?: (number | null)[] } }[];
}
