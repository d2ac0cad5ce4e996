/**
 * The reference answer for an image: what `ferry predict` computes — sharp decode, core's
 * EXIF orientation and eval pipeline, onnxruntime-node — run in-process, outside any server.
 */
import { readFile } from 'node:fs/promises';
import {
  applyOrientation,
  createClassifier,
  type Image,
  type ImageHeader,
  readImageHeader,
  readModelSpecFromOnnx,
} from '@ferry/core';
import * as ort from 'onnxruntime-node';
import { decodeWithSharp } from '../adapter/node/decode-sharp.js';

export interface Reference {
  labels: string[];
  /** Probabilities in label order. */
  probabilities(bytes: Uint8Array): Promise<Float32Array>;
  /** Raw onnxruntime-node inference time for one preprocessed image, in ms. */
  inferenceMs(bytes: Uint8Array): Promise<number>;
}

type Decode = (bytes: Uint8Array, header: ImageHeader) => Promise<Image>;
const sharpDecode: Decode = (bytes) => decodeWithSharp(bytes, 40_000_000);

/** `decode` swaps the decoder (e.g. the Workers one) to separate decoding from inference. */
export async function createReference(
  modelPath: string,
  decodeRaw: Decode = sharpDecode,
): Promise<Reference> {
  const bytes = new Uint8Array(await readFile(modelPath));
  const spec = readModelSpecFromOnnx(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  const decode = async (image: Uint8Array) => {
    const header = readImageHeader(image);
    if (!header) throw new Error('reference: not an image');
    return applyOrientation(await decodeRaw(image, header), header.orientation);
  };
  return {
    labels: spec.labels,
    probabilities: async (image) => (await classifier.classify(await decode(image))).probabilities,
    inferenceMs: async (image) => (await classifier.classify(await decode(image))).timing_ms.inference,
  };
}
