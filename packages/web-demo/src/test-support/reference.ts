/**
 * The reference answer the page must agree with: what `ferry predict` computes — sharp decode,
 * core's EXIF orientation and eval pipeline, onnxruntime-node — run in-process, outside any
 * server or browser.
 */
import { readFile } from 'node:fs/promises';
import { applyOrientation, createClassifier, readImageHeader, readModelSpecFromOnnx } from '@ferry/core';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

export interface Reference {
  top1: string;
  /** Probabilities in the model's label order. */
  probabilities: number[];
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
      // Same sharp settings as the Node edge server (and the trainer): 8-bit sRGB, strict.
      const { data, info } = await sharp(bytes, { failOn: 'warning', pages: 1 })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      const image = applyOrientation(
        {
          width: info.width,
          height: info.height,
          channels: info.channels as 3 | 4,
          data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        },
        header.orientation,
      );
      const result = await classifier.classify(image, { topK: 1 });
      out.set(file, { top1: result.predictions[0]!.label, probabilities: Array.from(result.probabilities) });
    }
  } finally {
    await session.release();
  }
  return out;
}
