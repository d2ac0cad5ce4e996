/**
 * The same ONNX file, served by the Workers build in real workerd (onnxruntime-web wasm +
 * JS/wasm decoders) and by the Node server (onnxruntime-node; the same JPEG wasm, sharp for the
 * rest), must give the
 * reference answer (`ferry predict`'s pipeline) for every image: identical top-1 and
 * probabilities within 1e-3.
 */

import { decodableSamples } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithReference, type NamedImage } from './test-support/compare.js';
import { createReference, type Reference } from './test-support/reference.js';
import { startNode } from './test-support/start-node.js';
import { makeTinyModel } from './test-support/tiny-model.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

describe('tiny exported model: workerd and node agree with the reference', () => {
  let reference: Reference;
  let images: NamedImage[];
  let workerd: RunningServer;
  let node: RunningServer;
  let modelPath: string;
  beforeAll(async () => {
    modelPath = await makeTinyModel();
    reference = await createReference(modelPath);
    images = await decodableSamples();
    [workerd, node] = await Promise.all([startWorkerd(modelPath), startNode(modelPath)]);
  });
  afterAll(async () => {
    await Promise.all([workerd?.stop(), node?.stop()]);
  });

  it('node server: same decoder and runtime as the reference, so near-identical answers', async () => {
    const result = await compareWithReference(node.url, reference, images);
    console.log('node vs reference:', JSON.stringify(result));
    expect(result.top1Mismatches).toEqual([]);
    expect(result.maxProbabilityDiff).toBeLessThan(1e-5);
  });

  it('workerd: onnxruntime-web and JS/wasm decoders within 1e-3 of the reference', async () => {
    const result = await compareWithReference(workerd.url, reference, images);
    console.log('workerd vs reference:', JSON.stringify(result));
    expect(result.top1Mismatches).toEqual([]);
    expect(result.maxProbabilityDiff).toBeLessThanOrEqual(1e-3);
  });

  it('workerd with the model served from static assets gives the same answers as the bundled one', async () => {
    const assets = await startWorkerd(modelPath, { delivery: 'assets' });
    try {
      const result = await compareWithReference(assets.url, reference, images.slice(0, 4));
      expect(result.top1Mismatches).toEqual([]);
      expect(result.maxProbabilityDiff).toBeLessThanOrEqual(1e-3);
      // Only the worker reads the model: the asset itself is not public.
      expect((await fetch(`${assets.url}/model.onnx`)).status).toBe(404);
    } finally {
      await assets.stop();
    }
  });
});
