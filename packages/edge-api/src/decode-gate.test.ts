/**
 * Memory discipline: the decode gate on its own, then through the app in-process (a decoder the
 * test holds, so "in flight" is certain, not timing-dependent), then real workerd with 16
 * concurrent 12-MP phone JPEGs. Limits answer 413 in words.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClassifyResponse, readModelSpecFromOnnx } from '@ferry/core';
import { ferryPredict, photo } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeModelLoader } from './adapter/node/index.js';
import { createApp } from './app.js';
import { BusyError, createDecodeGate } from './decode-gate.js';
import { createJsDecoder } from './decoders/index.js';
import { makeTinyModel, makeTinyModelWithoutDecodeRule } from './test-support/tiny-model.js';
import { initWasmDecoders } from './test-support/wasm-decoders.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

describe('createDecodeGate', () => {
  it('admits decodes + queue requests, then refuses with a Retry-After', () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 1, retryAfterSeconds: 2 });
    const a = gate.admit();
    const b = gate.admit();
    let refusal: unknown;
    try {
      gate.admit();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(BusyError);
    expect((refusal as BusyError).status).toBe(503);
    expect((refusal as BusyError).retryAfterSeconds).toBe(2);
    a.release();
    a.release(); // twice is harmless
    gate.admit().release();
    b.release();
    expect(gate.stats()).toEqual({ admitted: 0, decoding: 0, waitingDecode: 0 });
  });

  it('runs one decode at a time, in arrival order, and passes slots on when a waiter gives up', async () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 10 });
    const order: string[] = [];
    const [a, b, c] = [gate.admit(), gate.admit(), gate.admit()];
    await a.decodeSlot();
    void b.decodeSlot().then(() => order.push('b'));
    const cTurn = c.decodeSlot().then(() => order.push('c'));
    await Promise.resolve();
    expect(gate.stats()).toMatchObject({ decoding: 1, waitingDecode: 2 });
    b.release(); // gave up while waiting (its body failed): its turn must not block c
    a.release();
    await cTurn;
    expect(order).toEqual(['c']);
    expect(gate.stats()).toMatchObject({ decoding: 1, waitingDecode: 0 });
    c.release();
    expect(gate.stats()).toEqual({ admitted: 0, decoding: 0, waitingDecode: 0 });
  });
  it('gives up a wait that outlasts waitMs with the 503, leaving the queue to the others', async () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 10 });
    const [a, b, c] = [gate.admit(), gate.admit(), gate.admit()];
    await a.decodeSlot(20);
    const bWait = b.decodeSlot(20).catch((error: unknown) => error);
    const cTurn = c.decodeSlot();
    const refusal = await bWait;
    expect(refusal).toBeInstanceOf(BusyError);
    expect((refusal as BusyError).message).toMatch(/within 0 s while this one waited; retry in 1 s$/);
    b.release();
    expect(gate.stats()).toEqual({ admitted: 2, decoding: 1, waitingDecode: 1 });
    a.release();
    await cTurn;
    c.release();
    expect(gate.stats()).toEqual({ admitted: 0, decoding: 0, waitingDecode: 0 });
  });
});

describe('the app under load', () => {
  let modelPath: string;
  let jpeg12mp: Uint8Array<ArrayBuffer>;
  beforeAll(async () => {
    await initWasmDecoders();
    modelPath = await makeTinyModel();
    jpeg12mp = new Uint8Array(await photo(4032, 3024).jpeg({ quality: 90 }).toBuffer());
  }, 120_000);

  /**
   * The app with one decode slot whose decodes wait until `unblock()`. `firstDecode` resolves
   * when a decode has begun: the model is loaded by then and the requests sent with it have
   * reached the gate (the first request loads the model, which on a busy machine takes longer
   * than any fixed wait).
   */
  function withBlockedDecodes(maxQueue: number) {
    const decode = createJsDecoder();
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    let decodeBegan!: () => void;
    const firstDecode = new Promise<void>((resolve) => {
      decodeBegan = resolve;
    });
    const decodes = { inFlight: 0, maxInFlight: 0 };
    const app = createApp({
      loadModel: createNodeModelLoader(modelPath),
      decodeImage: async (bytes, header, rule) => {
        decodes.inFlight++;
        decodes.maxInFlight = Math.max(decodes.maxInFlight, decodes.inFlight);
        decodeBegan();
        await blocked;
        try {
          return await decode(bytes, header, rule);
        } finally {
          decodes.inFlight--;
        }
      },
      limits: { maxDecodes: 1, maxQueue },
      log: () => {},
    });
    return { app, unblock, firstDecode, decodes };
  }

  it('queues decodes one at a time and answers 503 + Retry-After when the queue is full', async () => {
    const small = new Uint8Array(await photo(90, 60).jpeg().toBuffer());
    const { app, unblock, firstDecode, decodes } = withBlockedDecodes(2);
    const send = () =>
      app.request('/v1/classify', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(small.byteLength) },
        body: small,
      });
    const admitted = [send(), send(), send()];
    // Once the first decodes, the other two wait at the gate; then a fourth finds it full.
    await firstDecode;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('busy');
    expect(body.error.message).toMatch(/retry in 1 s/);
    unblock();
    expect((await Promise.all(admitted)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(decodes.maxInFlight).toBe(1);
    // Drained: the next request is admitted again.
    expect((await send()).status).toBe(200);
  });

  it('reads a body only once its request holds the decode slot', async () => {
    const small = new Uint8Array(await photo(90, 60).jpeg().toBuffer());
    const { app, unblock, firstDecode } = withBlockedDecodes(4);
    // Bodies that count their reads: nothing is pulled until the server asks for it.
    const pulls = [0, 0, 0];
    const send = (i: number) =>
      app.request('/v1/classify', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(small.byteLength) },
        body: new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              pulls[i]!++;
              controller.enqueue(small);
              controller.close();
            },
          },
          { highWaterMark: 0 },
        ),
        duplex: 'half',
      } as RequestInit);
    const answers = [send(0), send(1), send(2)];
    // Once the first decodes, give the other two every chance to be read wrongly.
    await firstDecode;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first holds the slot (read, decoding); the other two wait with their bodies unread.
    expect(pulls).toEqual([1, 0, 0]);
    unblock();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(pulls).toEqual([1, 1, 1]);
  });

  it('answers 408 to a body that stops arriving, and frees the slot for the next', async () => {
    const app = createApp({
      loadModel: createNodeModelLoader(modelPath),
      decodeImage: createJsDecoder(),
      limits: { maxDecodes: 1, maxQueue: 4, bodyTimeoutSeconds: 1 },
      log: () => {},
    });
    const small = new Uint8Array(await photo(90, 60).jpeg().toBuffer());
    const stalled = app.request('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', 'content-length': String(small.byteLength) },
      // Half the photo, then nothing: an uploader that went quiet.
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(small.subarray(0, small.byteLength >> 1));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const next = app.request('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: small,
    });
    const refused = await stalled;
    expect(refused.status).toBe(408);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({
      code: 'body_timeout',
      message:
        'the upload did not finish arriving within 1 s of the server starting to read it (FERRY_BODY_TIMEOUT_S)',
    });
    expect((await next).status).toBe(200);
  });

  it('counts a JPEG at its decoded size and says every limit in words', async () => {
    const app = createApp({
      loadModel: createNodeModelLoader(modelPath),
      decodeImage: createJsDecoder(),
      limits: { maxPixels: 1_000_000, maxBodyBytes: 4 * 2 ** 20 },
      log: () => {},
    });
    const send = (bytes: Uint8Array<ArrayBuffer>, type: string) =>
      app.request('/v1/classify', { method: 'POST', headers: { 'content-type': type }, body: bytes });
    // 12.2 MP stored, but the tiny model's rule decodes it at 1/8: 0.19 MP.
    expect((await send(jpeg12mp, 'image/jpeg')).status).toBe(200);
    // A PNG is streamed row by row into its box-reduced frame: only that counts.
    const png = new Uint8Array(await photo(1200, 1000).png({ compressionLevel: 1 }).toBuffer());
    expect((await send(png, 'image/png')).status).toBe(200);
    // An interlaced one cannot be streamed: decoded whole, it counts whole.
    const interlaced = await send(
      new Uint8Array(await photo(1200, 1000).png({ compressionLevel: 1, progressive: true }).toBuffer()),
      'image/png',
    );
    expect(interlaced.status).toBe(413);
    expect(((await interlaced.json()) as { error: { message: string } }).error.message).toBe(
      'image is 1200x1000 pixels (interlaced PNG: decoded whole), 1.2 megapixels to decode; this server decodes at most 1 megapixels (1000000 pixels, FERRY_MAX_PIXELS): send it resized to at most 1095x912',
    );
    // A progressive JPEG counts its coefficient store beside its scaled frame; at 1/8 only what the
    // IDCTs read (10 bytes a luma block, 58 a 4:2:0 chroma block), twice since the wasm heap stays:
    // 6 MP fit, 24 MP do not.
    expect(
      (
        await send(
          new Uint8Array(await photo(3000, 2000).jpeg({ quality: 80, progressive: true }).toBuffer()),
          'image/jpeg',
        )
      ).status,
    ).toBe(200);
    const progressive = await send(
      new Uint8Array(await photo(6000, 4000).jpeg({ quality: 80, progressive: true }).toBuffer()),
      'image/jpeg',
    );
    expect(progressive.status).toBe(413);
    expect(((await progressive.json()) as { error: { message: string } }).error.message).toMatch(
      /^image is 6000x4000 pixels \(progressive JPEG: 13\.9 MB of coefficients, decoded at 750x500\), 2\.2 megapixels.*: send it resized to at most 1224x816 or as a baseline JPEG$/,
    );
    const big = await send(new Uint8Array(5 * 2 ** 20), 'image/png');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toBe(
      "request body is larger than this server's 4 MiB limit (4194304 bytes, FERRY_MAX_BODY_BYTES)",
    );
  });
});

describe('workerd: 16 concurrent 12-MP phone photos', () => {
  let modelPath: string;
  let oldModelPath: string;
  let jpeg12mp: Uint8Array<ArrayBuffer>;
  let workerd: RunningServer;
  let tight: RunningServer;
  let old: RunningServer;
  beforeAll(async () => {
    [modelPath, oldModelPath] = await Promise.all([makeTinyModel(), makeTinyModelWithoutDecodeRule()]);
    // A detailed 12-MP photo at quality 90: several MB each, 16 of them far more than an
    // isolate could hold as bodies at once (they wait unread; one is read at a time).
    jpeg12mp = new Uint8Array(await photo(4032, 3024, 3).jpeg({ quality: 90 }).toBuffer());
    [workerd, tight, old] = await Promise.all([
      startWorkerd(modelPath),
      // One decoding and three waiting: the rest of a burst of 16 must get the 503.
      startWorkerd(modelPath, { vars: { FERRY_MAX_QUEUE: '3' } }),
      startWorkerd(oldModelPath),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([workerd?.stop(), tight?.stop(), old?.stop()]);
  });

  const burst = (url: string) =>
    Promise.all(
      Array.from({ length: 16 }, () =>
        fetch(`${url}/v1/classify`, {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg' },
          body: jpeg12mp,
        }),
      ),
    );

  it('with the default limits: all 16 answered 200, decoded at 1/8', async () => {
    const responses = await burst(workerd.url);
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    const body = (await responses[0]!.json()) as { predictions: unknown[]; timing_ms: unknown };
    expect(body.predictions.length).toBeGreaterThan(0);
  });

  it('with a short queue: the overflow gets 503 + Retry-After, never an error 500', async () => {
    const responses = await burst(tight.url);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const refused = responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.headers.get('retry-after')).toBe('1');
  });

  it('a model file from before the decode rule: a 12-MP JPEG is decoded reduced to fit, not refused', async () => {
    const spec = readModelSpecFromOnnx(new Uint8Array(readFileSync(oldModelPath)));
    expect(spec.decode).toBeUndefined();
    const res = await fetch(`${old.url}/v1/classify?top_k=3`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: jpeg12mp,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ClassifyResponse;
    // 1/2 would be 2016x1512 = 3.05 MP, over the Workers 3 MP: 1/4 is the largest that fits.
    expect(body.decode_note).toMatch(
      /^decoded at 1\/4 scale \(1008x756\) to fit this server's 3 megapixels limit/,
    );
    // Close to the full-size decode `ferry predict` does for this model (same libjpeg-turbo, whole frame).
    const file = join(mkdtempSync(join(tmpdir(), 'ferry-old-model-')), 'photo-12mp.jpg');
    writeFileSync(file, jpeg12mp);
    const reference = (await ferryPredict(oldModelPath, [file])).get(file)!;
    expect(body.predictions[0]!.label).toBe(reference.top1);
    for (const p of body.predictions)
      expect(Math.abs(p.probability - reference.probabilities.get(p.label)!)).toBeLessThan(0.02);
    // What cannot be reduced (a progressive JPEG holds full-size coefficients) is refused with the fix.
    const progressive = await fetch(`${old.url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photo(2400, 1800).jpeg({ quality: 80, progressive: true }).toBuffer()),
    });
    expect(progressive.status).toBe(413);
    expect(((await progressive.json()) as { error: { message: string } }).error.message).toMatch(
      /3 megapixels \(3000000 pixels, FERRY_MAX_PIXELS\): send it resized to at most 2000x1500 or as a baseline JPEG$/,
    );
  });
});
