/**
 * The reference answer for an image: what `ferry predict` computes — the Node decoder (sharp,
 * or the wasm libjpeg-turbo at the model's decode rule's scale for large JPEGs), core's EXIF
 * orientation and eval pipeline, onnxruntime-node — run in-process, outside any server. The edge
 * API's and the web page's agreement tests both compare against it.
 */
import { readFile } from 'node:fs/promises';
import {
  applyOrientation,
  type Classification,
  createClassifier,
  type DecodeRule,
  type Image,
  type ImageHeader,
  type ModelSpec,
  readImageHeader,
  readModelSpecFromOnnx,
} from '@ferry/core';
import * as ort from 'onnxruntime-node';
import { decodeUpload } from '../adapter/node/decode-sharp.js';

export interface Reference {
  labels: string[];
  spec: ModelSpec;
  /** Probabilities in label order. */
  probabilities(bytes: Uint8Array): Promise<Float32Array>;
  /** Open-set models: the score and verdict (undefined for models without one). */
  openSet(bytes: Uint8Array): Promise<{ unknown?: boolean; oodScore?: number }>;
  /** Raw onnxruntime-node inference time for one preprocessed image, in ms. */
  inferenceMs(bytes: Uint8Array): Promise<number>;
  /** The whole answer (top-k, probabilities, open-set verdict). */
  classify(bytes: Uint8Array, topK?: number): Promise<Classification>;
  /** Releases the onnxruntime session. */
  release(): Promise<void>;
}

type Decode = (bytes: Uint8Array, header: ImageHeader, rule: DecodeRule | undefined) => Promise<Image>;
const nodeDecode: Decode = (bytes, header, rule) => decodeUpload(bytes, header, rule, 400_000_000);

/** `decode` swaps the decoder (e.g. the Workers one) to separate decoding from inference. */
export async function createReference(modelPath: string, decodeRaw: Decode = nodeDecode): Promise<Reference> {
  const bytes = new Uint8Array(await readFile(modelPath));
  const spec = readModelSpecFromOnnx(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  const decode = async (image: Uint8Array) => {
    const header = readImageHeader(image);
    if (!header) throw new Error('reference: not an image');
    return applyOrientation(await decodeRaw(image, header, spec.decode), header.orientation);
  };
  return {
    labels: spec.labels,
    spec,
    probabilities: async (image) => (await classifier.classify(await decode(image))).probabilities,
    openSet: async (image) => {
      const { unknown, oodScore } = await classifier.classify(await decode(image));
      return { unknown, oodScore };
    },
    inferenceMs: async (image) => (await classifier.classify(await decode(image))).timing_ms.inference,
    classify: async (image, topK) =>
      classifier.classify(await decode(image), topK === undefined ? {} : { topK }),
    release: () => session.release(),
  };
}
