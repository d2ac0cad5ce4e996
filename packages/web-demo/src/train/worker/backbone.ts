/**
 * The frozen backbone in the page, made as `ferry train` makes it: the Keras model.json and its
 * weights (the site's copy, else Teachable Machine's public files, kept in the browser's Cache
 * Storage), loaded with TensorFlow.js, cut at the feature layer with global average pooling by
 * @ferry/model's `cutBackbone`, converted to ONNX by the exporter's own `convertLayersModelToOnnx`
 * and run in onnxruntime-web by the backbone runner (backbone-runner.ts, a thread of its own).
 * The export at the end reuses the same tfjs backbone.
 */
import { convertLayersModelToOnnx, cutBackbone, featureDim, inputSize } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { sha256Hex } from '../../hash.js';
import type { BackboneRequest } from '../protocol.js';
import type { FromRunner, ToRunner } from './runner-protocol.js';

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
  runner: BackboneRunner;
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
  const runner = await startRunner(onnx, ortBase, width, height);
  return { request, url, hash, tf, model, extractor, width, height, dim: featureDim(extractor), runner };
}

/** A batch's pooled features, and its input buffer back for the next batch. */
export interface RunnerOutput {
  features: Float32Array;
  input: Float32Array<ArrayBuffer>;
}

export interface BackboneRunner {
  /**
   * `n` NHWC views at the start of `input` -> `n * dim` pooled features. `input` is transferred
   * to the runner (detached here) and comes back with the features.
   */
  run(input: Float32Array<ArrayBuffer>, n: number): Promise<RunnerOutput>;
}

/** Starts the runner thread and its onnxruntime-web session on `onnx`; resolves when it is ready. */
function startRunner(
  onnx: Uint8Array,
  ortBase: string,
  width: number,
  height: number,
): Promise<BackboneRunner> {
  const worker = new Worker(new URL('./backbone-runner.ts', import.meta.url), {
    type: 'module',
    name: 'ferry-backbone',
  });
  const waiting = new Map<number, { resolve: (r: RunnerOutput) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const runner: BackboneRunner = {
    run(input, n) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const message: ToRunner = { type: 'run', id, input: input.buffer, n, height, width };
        worker.postMessage(message, [input.buffer]);
      });
    },
  };
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<FromRunner>) => {
      const m = event.data;
      if (m.type === 'ready') resolve(runner);
      else if (m.type === 'init-error')
        reject(new Error(`onnxruntime-web could not load the backbone: ${m.message}`));
      else {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.type === 'out') w?.resolve({ features: m.features, input: new Float32Array(m.input) });
        else w?.reject(new Error(`the backbone failed: ${m.message}`));
      }
    });
    worker.addEventListener('error', (event) => {
      const error = new Error(`the backbone runner failed: ${event.message || 'it could not start'}`);
      reject(error);
      for (const w of waiting.values()) w.reject(error);
      waiting.clear();
    });
    const onnxCopy = onnx.slice().buffer;
    const init: ToRunner = { type: 'init', onnx: onnxCopy, ortBase };
    worker.postMessage(init, [onnxCopy]);
  });
}
