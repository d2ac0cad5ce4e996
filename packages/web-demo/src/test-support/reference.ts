/**
 * The reference answer the page must agree with: what `ferry predict` computes — the Node
 * server's decoder (sharp; the wasm libjpeg-turbo at the model's decode rule's scale for large
 * JPEGs), core's EXIF orientation and eval pipeline, onnxruntime-node — run in-process, outside
 * any server or browser.
 */
import { readFile } from 'node:fs/promises';
import { applyOrientation, createClassifier, readImageHeader, readModelSpecFromOnnx } from '@ferry/core';
import { decodeUpload } from '@ferry/edge-api/node';
import * as ort from 'onnxruntime-node';

export interface Reference {
  top1: string;
  /** Probabilities in the model's label order. */
  probabilities: number[];
  /** Open-set models only. */
  unknown?: boolean;
  oodScore?: number;
}

export async function referenceAnswers(
  modelPath: string,
  files: readonly string[],
): Promise<Map<string, Reference>> {
  const model = new Uint8Array(await readFile(modelPath));
  const spec = readModelSpecFromOnnx(model);
  const session = await ort.InferenceSession.create(model);
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor });
  const out = new Map<string, Reference>();
  try {
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(file));
      const header = readImageHeader(bytes);
      if (!header) throw new Error(`reference: ${file} is not an image`);
      // Exactly the Node edge server's decoder (sharp, strict; scaled wasm for large JPEGs).
      const image = applyOrientation(
        await decodeUpload(bytes, header, spec.decode, 400_000_000),
        header.orientation,
      );
      const result = await classifier.classify(image, { topK: 1 });
      out.set(file, {
        top1: result.predictions[0]!.label,
        probabilities: Array.from(result.probabilities),
        ...(result.unknown === undefined ? {} : { unknown: result.unknown, oodScore: result.oodScore }),
      });
    }
  } finally {
    await session.release();
  }
  return out;
}
