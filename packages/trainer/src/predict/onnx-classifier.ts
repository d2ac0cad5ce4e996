/**
 * An exported `.onnx` file -> core `Classifier` on onnxruntime-node. The spec comes from the
 * file's own metadata, so the preprocessing is exactly what the edge API and the browser replay.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Classifier, createClassifier, type ModelSpec, readModelSpecFromOnnx } from '@ferry/core';
import type * as Ort from 'onnxruntime-node';
import { loadOnnxruntime } from '../commonjs-packages.js';

const ort = loadOnnxruntime();

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export interface OnnxClassifier {
  classifier: Classifier;
  spec: ModelSpec;
  sha256: string;
  bytes: number;
  release(): Promise<void>;
}

/** Loads from a path or from bytes already in memory (`source` names it in errors). */
export async function loadOnnxClassifier(
  input: string | Uint8Array,
  source = typeof input === 'string' ? input : '<memory>',
): Promise<OnnxClassifier> {
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    try {
      bytes = await readFile(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ModelLoadError(
        code === 'ENOENT' ? `model file not found: ${input}` : `cannot read ${input} (${code ?? error})`,
      );
    }
  } else {
    bytes = input;
  }
  if (bytes.byteLength === 0) throw new ModelLoadError(`${source} is empty (0 bytes)`);
  let spec: ModelSpec;
  try {
    spec = readModelSpecFromOnnx(bytes);
  } catch (error) {
    throw new ModelLoadError(`${source} is not a Ferry ONNX model: ${(error as Error).message}`);
  }
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  } catch (error) {
    const first = String((error as Error).message ?? error).split('\n')[0];
    throw new ModelLoadError(`onnxruntime cannot load ${source}: ${first}`);
  }
  let classifier: Classifier;
  try {
    classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  } catch (error) {
    await session.release();
    throw new ModelLoadError(`${source}: ${(error as Error).message}`);
  }
  return {
    classifier,
    spec,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.byteLength,
    release: () => session.release(),
  };
}
