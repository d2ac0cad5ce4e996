/**
 * In-browser inference: fetches the exported ONNX file, reads its embedded spec (labels, input
 * size, preprocessing) with core, and opens an onnxruntime-web session on WebGPU when the
 * browser has a usable adapter, else on wasm. Which one ran is reported, never guessed.
 */
import { type Classifier, createClassifier, type ModelSpec, readModelSpecFromOnnx } from '@ferry/core';
import * as ort from 'onnxruntime-web';
import { sha256Hex } from './hash.js';
import { idbGet } from './train/idb.js';
import type { TrainOutcome } from './train/protocol.js';

/** The model URL that means "the one the train view made last" (kept in IndexedDB). */
export const TRAINED_MODEL = 'trained';

export type Backend = 'webgpu' | 'wasm';
export type BackendPreference = Backend | 'auto';

export interface LocalModel {
  spec: ModelSpec;
  classifier: Classifier;
  backend: Backend;
  /** Why WebGPU was not used, when it was not. */
  fallbackReason?: string;
  bytes: number;
  sha256: string;
  url: string;
}

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

// Served by the site itself (copied from node_modules at build time), so it works offline.
ort.env.wasm.wasmPaths = new URL('ort/', document.baseURI).href;
// Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page; a static host rarely is.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated
  ? Math.min(4, navigator.hardwareConcurrency || 1)
  : 1;

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown | null> };
}

async function webGpuUnavailableReason(): Promise<string | null> {
  const gpu = (navigator as Navigator & GpuNavigator).gpu;
  if (!gpu) return 'this browser has no WebGPU';
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter (GPU disabled or unsupported)';
  } catch (error) {
    return `WebGPU adapter failed: ${(error as Error).message}`;
  }
}

async function fetchModel(url: string): Promise<Uint8Array> {
  if (url === TRAINED_MODEL) {
    const trained = await idbGet<TrainOutcome>('meta', 'result').catch(() => undefined);
    if (!trained)
      throw new ModelLoadError('no model has been trained in this browser yet: train one at train/.');
    return trained.model;
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new ModelLoadError(`could not download the model from ${url} (offline, or the server is down).`);
  }
  if (response.status === 404) {
    throw new ModelLoadError(
      `no model at ${url}. Build the demo with FERRY_MODEL=path/to/model.onnx, or open the page with ?model=URL.`,
    );
  }
  if (!response.ok)
    throw new ModelLoadError(`the model download failed (HTTP ${response.status}) from ${url}.`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function loadLocalModel(
  url: string,
  preference: BackendPreference = 'auto',
): Promise<LocalModel> {
  const bytes = await fetchModel(url);
  let spec: ModelSpec;
  try {
    spec = readModelSpecFromOnnx(bytes);
  } catch (error) {
    throw new ModelLoadError(`${url} is not a Ferry model: ${(error as Error).message}`);
  }
  // Shown beside the model; a page without the browser's digest (plain http) shows none.
  const sha256 = await sha256Hex(bytes).catch(() => '');
  let fallbackReason: string | undefined;
  let session: ort.InferenceSession | undefined;
  let backend: Backend = 'wasm';
  if (preference !== 'wasm') {
    const reason = await webGpuUnavailableReason();
    if (reason === null) {
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
        backend = 'webgpu';
      } catch (error) {
        fallbackReason = `WebGPU session failed: ${(error as Error).message}`;
      }
    } else fallbackReason = reason;
  } else fallbackReason = 'wasm was requested';
  if (!session) {
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    } catch (error) {
      throw new ModelLoadError(`onnxruntime-web could not open the model: ${(error as Error).message}`);
    }
  }
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  const model: LocalModel = { spec, classifier, backend, bytes: bytes.length, sha256, url };
  if (fallbackReason) model.fallbackReason = fallbackReason;
  return model;
}
