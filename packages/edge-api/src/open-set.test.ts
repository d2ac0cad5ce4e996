/**
 * An open-set model served by the Node server (onnxruntime-node) and the Workers build in real
 * workerd (onnxruntime-web): the answer keeps its top-k and adds `unknown` and `ood_score`, and
 * on losslessly coded photos (identical pixels whatever the decoder) both score within 1e-4 of
 * `ferry predict`'s reference. A model without an open-set answer adds neither field.
 */
import { IMAGE_MIME_TYPES, sniffImageFormat } from '@ferry/core';
import { decodableSamples } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReference, type Reference } from './test-support/reference.js';
import { startNode } from './test-support/start-node.js';
import { makeTinyModel, TINY_LABELS } from './test-support/tiny-model.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

interface Answer {
  predictions: { label: string; probability: number }[];
  unknown?: boolean;
  ood_score?: number;
}

async function classify(url: string, bytes: Uint8Array, topK = 2): Promise<Answer> {
  const format = sniffImageFormat(bytes)!;
  const res = await fetch(`${url}/v1/classify?top_k=${topK}`, {
    method: 'POST',
    headers: { 'content-type': IMAGE_MIME_TYPES[format] },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

describe('open-set answers over HTTP', () => {
  let reference: Reference;
  let workerd: RunningServer;
  let node: RunningServer;
  let plainNode: RunningServer;
  let lossless: { name: string; bytes: Uint8Array }[];
  beforeAll(async () => {
    const modelPath = await makeTinyModel(TINY_LABELS, 7, 'knn-cosine');
    reference = await createReference(modelPath);
    lossless = (await decodableSamples()).filter((s) =>
      ['png rgb', 'png grayscale', 'png palette'].includes(s.name),
    );
    [workerd, node, plainNode] = await Promise.all([
      startWorkerd(modelPath),
      startNode(modelPath),
      makeTinyModel().then((plain) => startNode(plain)),
    ]);
  });
  afterAll(async () => {
    await Promise.all([workerd?.stop(), node?.stop(), plainNode?.stop()]);
  });

  it('node and workerd: unknown + ood_score beside the top-k, scores within 1e-4 of the reference', async () => {
    expect(lossless.length).toBe(3);
    for (const image of lossless) {
      const expected = await reference.openSet(image.bytes);
      for (const server of [node, workerd]) {
        const body = await classify(server.url, image.bytes);
        expect(body.predictions).toHaveLength(2);
        expect(typeof body.unknown).toBe('boolean');
        expect(body.unknown).toBe(expected.unknown);
        expect(Math.abs(body.ood_score! - expected.oodScore!)).toBeLessThan(1e-4);
      }
    }
  });

  it('a model without an open-set answer answers as before: no unknown, no ood_score', async () => {
    const body = await classify(plainNode.url, lossless[0]!.bytes);
    expect(body.predictions).toHaveLength(2);
    expect('unknown' in body).toBe(false);
    expect('ood_score' in body).toBe(false);
  });
});
