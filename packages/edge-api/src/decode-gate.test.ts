/**
 * Memory discipline: the decode gate on its own, then through the app in-process (a decoder the
 * test holds, so "in flight" is certain, not timing-dependent), then real workerd with 16
 * concurrent 12-MP phone JPEGs. Limits answer 413 in words.
 */

import { photo } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeModelLoader } from './adapter/node/index.js';
import { createApp } from './app.js';
import { BusyError, createDecodeGate } from './decode-gate.js';
import { createJsDecoder } from './decoders/index.js';
import { makeTinyModel } from './test-support/tiny-model.js';
import { initWasmDecoders } from './test-support/wasm-decoders.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

describe('createDecodeGate', () => {
  it('admits decodes + queue requests, then refuses with a Retry-After', () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 1, maxQueuedBytes: 100, retryAfterSeconds: 2 });
    // (Bytes are the second bound: see the next test.)
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
    expect(gate.stats()).toEqual({ admitted: 0, reservedBytes: 0, decoding: 0, waitingDecode: 0 });
  });

  it('refuses a body that does not fit the upload budget, and frees bytes on release', () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 10, maxQueuedBytes: 100 });
    const [a, b, c] = [gate.admit(), gate.admit(), gate.admit()];
    a.reserve(60);
    b.reserve(40);
    expect(() => c.reserve(1)).toThrow(/upload budget; retry in 1 s/);
    a.release();
    c.reserve(60);
    expect(gate.stats()).toMatchObject({ admitted: 2, reservedBytes: 100 });
    b.release();
    c.release();
    // One body larger than the whole budget still proceeds alone: the body limit judges it.
    const d = gate.admit();
    d.reserve(1000);
    d.release();
    expect(gate.stats()).toMatchObject({ admitted: 0, reservedBytes: 0 });
  });

  it('runs one decode at a time, in arrival order, and passes slots on when a waiter gives up', async () => {
    const gate = createDecodeGate({ maxDecodes: 1, maxQueue: 10, maxQueuedBytes: 1000 });
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
    expect(gate.stats()).toEqual({ admitted: 0, reservedBytes: 0, decoding: 0, waitingDecode: 0 });
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

  it('queues decodes one at a time and answers 503 + Retry-After when the queue is full', async () => {
    const decode = createJsDecoder(40_000_000);
    let inFlight = 0;
    let maxInFlight = 0;
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const small = new Uint8Array(await photo(90, 60).jpeg().toBuffer());
    const app = createApp({
      loadModel: createNodeModelLoader(modelPath),
      decodeImage: async (bytes, header, rule) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await blocked;
        try {
          return await decode(bytes, header, rule);
        } finally {
          inFlight--;
        }
      },
      limits: { maxDecodes: 1, maxQueue: 2 },
      log: () => {},
    });
    const send = () =>
      app.request('/v1/classify', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': String(small.byteLength) },
        body: small,
      });
    const admitted = [send(), send(), send()];
    // Let the three reach the gate (one decoding, two waiting), then a fourth finds it full.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('busy');
    expect(body.error.message).toMatch(/retry in 1 s/);
    unblock();
    expect((await Promise.all(admitted)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(maxInFlight).toBe(1);
    // Drained: the next request is admitted again.
    expect((await send()).status).toBe(200);
  });

  it('counts a JPEG at its decoded size and says every limit in words', async () => {
    const app = createApp({
      loadModel: createNodeModelLoader(modelPath),
      decodeImage: createJsDecoder(40_000_000),
      scalesJpeg: true,
      limits: { maxPixels: 1_000_000, maxBodyBytes: 4 * 2 ** 20 },
      log: () => {},
    });
    const send = (bytes: Uint8Array<ArrayBuffer>, type: string) =>
      app.request('/v1/classify', { method: 'POST', headers: { 'content-type': type }, body: bytes });
    // 12.2 MP stored, but the tiny model's rule decodes it at 1/8: 0.19 MP.
    expect((await send(jpeg12mp, 'image/jpeg')).status).toBe(200);
    const png = await send(
      new Uint8Array(await photo(1200, 1000).png({ compressionLevel: 1 }).toBuffer()),
      'image/png',
    );
    expect(png.status).toBe(413);
    expect(((await png.json()) as { error: { message: string } }).error.message).toBe(
      'image is 1200x1000 pixels, 1.2 megapixels to decode; this server decodes at most 1 megapixels (1000000 pixels, FERRY_MAX_PIXELS)',
    );
    // A progressive JPEG gets no scaling credit: libjpeg holds its full-size coefficients.
    const progressive = await send(
      new Uint8Array(await photo(1600, 1200).jpeg({ quality: 80, progressive: true }).toBuffer()),
      'image/jpeg',
    );
    expect(progressive.status).toBe(413);
    expect(((await progressive.json()) as { error: { message: string } }).error.message).toMatch(
      /^image is 1600x1200 pixels \(progressive JPEG: decoded from full-size coefficients\), 1.9 megapixels/,
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
  let jpeg12mp: Uint8Array<ArrayBuffer>;
  let workerd: RunningServer;
  let tight: RunningServer;
  beforeAll(async () => {
    modelPath = await makeTinyModel();
    // Blurred a little: phone-photo texture compresses to a phone-photo size (~1 MB, not 3).
    jpeg12mp = new Uint8Array(await photo(4032, 3024, 3).blur(1.2).jpeg({ quality: 90 }).toBuffer());
    [workerd, tight] = await Promise.all([
      startWorkerd(modelPath),
      // One decoding and three waiting: the rest of a burst of 16 must get the 503.
      startWorkerd(modelPath, { vars: { FERRY_MAX_QUEUE: '3' } }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([workerd?.stop(), tight?.stop()]);
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
});
