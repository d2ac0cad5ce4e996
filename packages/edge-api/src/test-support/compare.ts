/**
 * Classifies images over HTTP and compares every answer with the reference: same top-1,
 * probabilities within a tolerance. Returns the worst difference for the report.
 */
import { argmax, type ClassifyResponse, IMAGE_MIME_TYPES, sniffImageFormat } from '@ferry/core';
import { expect } from 'vitest';
import type { Reference } from './reference.js';

export interface NamedImage {
  name: string;
  bytes: Uint8Array;
}

export interface Agreement {
  images: number;
  maxProbabilityDiff: number;
  top1Mismatches: string[];
}

export async function compareWithReference(
  baseUrl: string,
  reference: Reference,
  images: NamedImage[],
): Promise<Agreement> {
  const labels = reference.labels;
  let maxProbabilityDiff = 0;
  const top1Mismatches: string[] = [];
  for (const image of images) {
    const format = sniffImageFormat(image.bytes);
    if (!format) throw new Error(`${image.name} is not an image`);
    // The content type comes from the bytes: one val photo is a GIF named .jpg.
    const res = await fetch(`${baseUrl}/v1/classify?top_k=${labels.length}`, {
      method: 'POST',
      headers: { 'content-type': IMAGE_MIME_TYPES[format] },
      body: image.bytes as Uint8Array<ArrayBuffer>,
    });
    expect(res.status, image.name).toBe(200);
    const body = (await res.json()) as Pick<ClassifyResponse, 'predictions'>;
    expect(body.predictions).toHaveLength(labels.length);
    const expected = await reference.probabilities(image.bytes);
    for (const p of body.predictions) {
      const i = labels.indexOf(p.label);
      maxProbabilityDiff = Math.max(maxProbabilityDiff, Math.abs(p.probability - expected[i]!));
    }
    if (body.predictions[0]!.label !== labels[argmax(expected)]) top1Mismatches.push(image.name);
  }
  return { images: images.length, maxProbabilityDiff, top1Mismatches };
}
