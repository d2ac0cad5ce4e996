/**
 * classify() without HTTP: the same answer the route gives for the same bytes, and bad input as
 * an HttpError with the status the route would answer.
 */
import { photo } from '@ferry/trainer/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeModelLoader } from './adapter/node/index.js';
import { createApp } from './app.js';
import { classify } from './classify.js';
import { createJsDecoder } from './decoders/index.js';
import { HttpError } from './errors.js';
import type { LoadedModel } from './model.js';
import { makeTinyModel } from './test-support/tiny-model.js';
import { initWasmDecoders } from './test-support/wasm-decoders.js';

describe('classify (no HTTP)', () => {
  let model: LoadedModel;
  let modelPath: string;
  const decodeImage = createJsDecoder();
  beforeAll(async () => {
    await initWasmDecoders();
    modelPath = await makeTinyModel();
    model = await createNodeModelLoader(modelPath)();
  });

  it('answers a photo as POST /v1/classify does', async () => {
    const bytes = new Uint8Array(await photo(640, 480, 5).jpeg().toBuffer());
    const { answer, image, timing } = await classify({ bytes, model, decodeImage, maxPixels: 40e6, topK: 2 });
    expect(image).toEqual({ format: 'jpeg', width: 640, height: 480 });
    expect(timing).not.toBeNull();
    expect(answer.predictions).toHaveLength(2);
    const app = createApp({ loadModel: createNodeModelLoader(modelPath), decodeImage, log: () => {} });
    const res = await app.request('/v1/classify?top_k=2', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expect(((await res.json()) as typeof answer).predictions).toEqual(answer.predictions);
  });

  it('throws the HttpError the route answers: 400 for bytes that are no image, 413 past the limit', async () => {
    const run = (bytes: Uint8Array, maxPixels = 40e6) =>
      classify({ bytes, model, decodeImage, maxPixels, topK: 1 }).catch((error: unknown) => error);
    const notImage = await run(new TextEncoder().encode('<html>hello</html>'));
    expect(notImage).toBeInstanceOf(HttpError);
    expect((notImage as HttpError).status).toBe(400);
    const tooLarge = await run(new Uint8Array(await photo(300, 200).gif().toBuffer()), 10_000);
    expect((tooLarge as HttpError).status).toBe(413);
    expect((tooLarge as HttpError).message).toMatch(/^image is 300x200 pixels, 60000 pixels to decode/);
  });
});
