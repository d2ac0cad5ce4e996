/**
 * The frozen backbone in the page, made as `ferry train` makes it: the Keras model.json and its
 * weights (the site's copy, else Teachable Machine's public files, kept in the browser's Cache
 * Storage), loaded with TensorFlow.js, cut at the feature layer with global average pooling by
 * @ferry/model's `cutBackbone`, converted to ONNX by the exporter's own `convertLayersModelToOnnx`
 * and run in onnxruntime-web. The export at the end reuses the same tfjs backbone.
 */
import { convertLayersModelToOnnx, cutBackbone, featureDim, inputSize } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
// The wasm-only build: half the jsep build's 28 MB of wasm to fetch and compile, and the
// backbone runs on the CPU here anyway.
import * as ort from 'onnxruntime-web/wasm';
import { sha256Hex } from '../../hash.js';
import type { BackboneRequest } from '../protocol.js';

type Tf = typeof tfTypes;

const CACHE = 'ferry-backbones';

export class BackboneLoadError extends Error {
  override name = 'BackboneLoadError';
}

export interface LoadedBackbone {
  request: BackboneRequest;
  /** The model.json URL that answered. */
  url: string;
  /** sha256 of model.json and every weight file, in manifest order. */
  hash: string;
  tf: Tf;
  /** The whole backbone (the export builds the classifier on it). */
  model: tfTypes.LayersModel;
  extractor: tfTypes.LayersModel;
  width: number;
  height: number;
  dim: number;
  session: ort.InferenceSession;
}

async function fetchKept(url: string): Promise<ArrayBuffer> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(CACHE).catch(() => undefined);
  const hit = await cache?.match(url);
  if (hit) return hit.arrayBuffer();
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new BackboneLoadError(`could not download ${url} (offline, or the server is down)`);
  }
  if (!response.ok) throw new BackboneLoadError(`${url}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  await cache?.put(url, new Response(bytes.slice(0))).catch(() => undefined);
  return bytes;
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
}

async function readArtifacts(url: string): Promise<{ artifacts: tfTypes.io.ModelArtifacts; hash: string }> {
  const jsonBytes = new Uint8Array(await fetchKept(url));
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes)) as ModelJson;
  } catch {
    throw new BackboneLoadError(`${url} is not a Keras model.json`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new BackboneLoadError(`${url} is not a Keras model.json (no modelTopology / weightsManifest)`);
  const shards = await Promise.all(
    json.weightsManifest.flatMap((group) => group.paths.map((p) => fetchKept(new URL(p, url).href))),
  );
  const total = shards.reduce((sum, s) => sum + s.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(new Uint8Array(shard), offset);
    offset += shard.byteLength;
  }
  const all = new Uint8Array(jsonBytes.length + total);
  all.set(jsonBytes);
  all.set(weightData, jsonBytes.length);
  return {
    artifacts: {
      modelTopology: json.modelTopology as tfTypes.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: weightData.buffer,
    },
    hash: await sha256Hex(all),
  };
}

/** The first of `request.urls` that answers; the error names every one tried. */
async function firstArtifacts(request: BackboneRequest) {
  const failures: string[] = [];
  for (const url of request.urls) {
    try {
      return { url, ...(await readArtifacts(url)) };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new BackboneLoadError(`the backbone ${request.id} could not be loaded: ${failures.join('; ')}`);
}

export async function loadBackbone(request: BackboneRequest, ortBase: string): Promise<LoadedBackbone> {
  const tf = await import('@tensorflow/tfjs');
  // Weights are read, never trained here: tfjs' plain JS backend, as the export needs.
  await tf.setBackend('cpu');
  tf.env().set('PROD', true);
  const { url, artifacts, hash } = await firstArtifacts(request);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const extractor = cutBackbone(tf, model, request.featureLayer);
  const { width, height } = inputSize(model);
  const onnx = convertLayersModelToOnnx(extractor, { kind: 'features' }).bytes;
  ort.env.wasm.wasmPaths = ortBase;
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, navigator.hardwareConcurrency || 1)
    : 1;
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    // Between batches this worker decodes the next photos: idle intra-op threads must sleep,
    // not spin on the cores it needs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return { request, url, hash, tf, model, extractor, width, height, dim: featureDim(extractor), session };
}

/** `n` NHWC inputs -> `n * dim` pooled features. */
export async function runBackbone(b: LoadedBackbone, input: Float32Array, n: number): Promise<Float32Array> {
  const name = b.session.inputNames[0]!;
  const out = await b.session.run({ [name]: new ort.Tensor('float32', input, [n, b.height, b.width, 3]) });
  const t = out[b.session.outputNames[0]!]!;
  const data = (t.data as Float32Array).slice();
  t.dispose();
  return data;
}
