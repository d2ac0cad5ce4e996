/**
 * The reference answers the page must agree with: `@ferry/edge-api/testing`'s `createReference`
 * (what `ferry predict` computes — the Node server's decoder, core's EXIF orientation and eval
 * pipeline, onnxruntime-node — in-process, outside any server or browser), for each file.
 */
import { readFile } from 'node:fs/promises';
import { createReference } from '@ferry/edge-api/testing';

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
  const reference = await createReference(modelPath);
  const out = new Map<string, Reference>();
  try {
    for (const file of files) {
      const result = await reference.classify(new Uint8Array(await readFile(file)), 1);
      out.set(file, {
        top1: result.predictions[0]!.label,
        probabilities: Array.from(result.probabilities),
        ...(result.unknown === undefined ? {} : { unknown: result.unknown, oodScore: result.oodScore }),
      });
    }
  } finally {
    await reference.release();
  }
  return out;
}
