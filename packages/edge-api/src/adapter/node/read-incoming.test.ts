/**
 * The Node server reads classify bodies from Node's IncomingMessage (read-incoming.ts), not from
 * the web stream the app reads elsewhere. Over real sockets: a 12-MP phone JPEG, a chunked
 * upload and multipart forms arrive byte for byte (the same probabilities as the in-process app,
 * which reads the stream, and as the raw upload), and the limits answer as before — 413 for a chunked body past the limit, 408 for a
 * stalled upload, both received by the client — and none of them, nor a client that hangs up
 * mid-upload, keeps the one decode slot from the next request.
 */
import { connect } from 'node:net';
import type { ClassifyResponse } from '@ferry/core';
import { photo } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLog } from '../../app.js';
import { makeTinyModel } from '../../test-support/tiny-model.js';
import { createNodeApp } from './app.js';
import { pooledBodyBuffers } from './read-incoming.js';
import { type NodeServer, startNodeServer } from './start-server.js';

let modelPath: string;
let server: NodeServer;
let jpeg12mp: Uint8Array<ArrayBuffer>;
let small: Uint8Array<ArrayBuffer>;
const limits = { maxDecodes: 1, maxQueue: 4, bodyTimeoutSeconds: 1, maxBodyBytes: 6 * 2 ** 20 };

beforeAll(async () => {
  modelPath = await makeTinyModel();
  server = await startNodeServer({ modelPath, port: 0, limits, log: () => {} });
  jpeg12mp = new Uint8Array(await photo(4032, 3024).jpeg({ quality: 90 }).toBuffer());
  small = new Uint8Array(await photo(90, 60).jpeg().toBuffer());
});
afterAll(() => server?.close());

const classify = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'image/jpeg' }) =>
  fetch(`${server.url}/v1/classify?top_k=3`, {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);

/** Sends `head` then `body` on a raw socket and returns everything the server sends back. */
function rawRequest(base: string, head: string, body: Uint8Array, closeAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString('latin1');
    });
    socket.on('error', (error) => (closeAfterMs === undefined ? reject(error) : resolve(received)));
    socket.on('close', () => resolve(received));
    socket.write(head);
    socket.write(body);
    if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
  });
}

const jsonOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('Node server body reading (IncomingMessage)', () => {
  it('reads a 12-MP JPEG, a chunked upload and multipart forms byte for byte', async () => {
    // The in-process app reads the request's web stream: the reference for the same bytes.
    const inProcess = createNodeApp({ modelPath, limits, log: () => {} });
    const reference = (await (
      await inProcess.request('/v1/classify?top_k=3', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: jpeg12mp,
      })
    ).json()) as ClassifyResponse;

    const sized = await classify(jpeg12mp);
    expect(sized.status).toBe(200);
    expect(((await sized.json()) as ClassifyResponse).predictions).toEqual(reference.predictions);

    // No Content-Length: Transfer-Encoding chunked, in uneven pieces.
    const chunked = await classify(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < jpeg12mp.byteLength; at += 100_003)
            controller.enqueue(jpeg12mp.slice(at, at + 100_003));
          controller.close();
        },
      }),
    );
    expect(chunked.status).toBe(200);
    expect(((await chunked.json()) as ClassifyResponse).predictions).toEqual(reference.predictions);

    // multipart/form-data (what `curl -F` and browser forms send), the photo after another field:
    // the file is found where it lies in the body (multipart.ts), for the wasm JPEG decoder and
    // for sharp (a PNG) alike.
    const png = new Uint8Array(await photo(300, 200, 5).png().toBuffer());
    for (const [type, bytes] of [
      ['image/jpeg', jpeg12mp],
      ['image/png', png],
    ] as const) {
      const raw = (await (await classify(bytes, { 'content-type': type })).json()) as ClassifyResponse;
      const form = new FormData();
      form.set('note', 'a field before the photo');
      form.set('image', new Blob([bytes], { type }), 'photo');
      const multipart = await fetch(`${server.url}/v1/classify?top_k=3`, { method: 'POST', body: form });
      expect(multipart.status, type).toBe(200);
      expect(((await multipart.json()) as ClassifyResponse).predictions, type).toEqual(raw.predictions);
    }
  });

  it('reuses body buffers without mixing bodies: different photos in turn and at once', async () => {
    const own = await startNodeServer({
      modelPath,
      port: 0,
      limits: { ...limits, maxDecodes: 4 },
      log: () => {},
    });
    try {
      // Sizes that share 1-MiB buffers, largest first, so a reused buffer holds an older, longer
      // photo's bytes past the end of the new one.
      const photos = [jpeg12mp];
      for (const [w, h, seed] of [
        [3000, 2250, 2],
        [2800, 2100, 3],
        [1200, 900, 4],
      ] as const)
        photos.push(new Uint8Array(await photo(w, h, seed).jpeg({ quality: 90 }).toBuffer()));
      const inProcess = createNodeApp({ modelPath, limits, log: () => {} });
      const expected: ClassifyResponse['predictions'][] = [];
      for (const bytes of photos) {
        const res = await inProcess.request('/v1/classify?top_k=3', {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg' },
          body: bytes,
        });
        expected.push(((await res.json()) as ClassifyResponse).predictions);
      }
      const send = async (i: number) => {
        const res = await fetch(`${own.url}/v1/classify?top_k=3`, {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg' },
          body: photos[i],
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as ClassifyResponse).predictions, `photo ${i}`).toEqual(expected[i]);
      };
      for (const i of [0, 3, 1, 2, 0, 2, 3]) await send(i);
      expect(pooledBodyBuffers()).toBeGreaterThan(0);
      await Promise.all([0, 1, 2, 3, 3, 2, 1, 0].map(send));
      expect(pooledBodyBuffers()).toBeLessThanOrEqual(4);
    } finally {
      await own.close();
    }
  });

  it('answers 413 in words to a chunked body past the limit, then serves the next', async () => {
    const tooBig = new Uint8Array(limits.maxBodyBytes + 1);
    tooBig.set(jpeg12mp.subarray(0, 4));
    const refused = await classify(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < tooBig.byteLength; at += 2 ** 20)
            controller.enqueue(tooBig.slice(at, at + 2 ** 20));
          controller.close();
        },
      }),
    );
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'body_too_large',
      message: "request body is larger than this server's 6 MiB limit (6291456 bytes, FERRY_MAX_BODY_BYTES)",
    });
    expect((await classify(small)).status).toBe(200);
  });

  it('answers 408 to an upload that stops arriving, closes that connection, and serves the next', async () => {
    const head =
      'POST /v1/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\n' +
      `Content-Length: ${small.byteLength}\r\n\r\n`;
    const started = Date.now();
    // Half the photo, then nothing; the server must answer and close, not wait for the rest.
    const response = await rawRequest(server.url, head, small.subarray(0, small.byteLength >> 1));
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonOf(response).error.code).toBe('body_timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await classify(small)).status).toBe(200);
  });

  it('ends a request whose client hangs up mid-upload at once (not at the timeout), and stays up', async () => {
    const logs: RequestLog[] = [];
    const own = await startNodeServer({
      modelPath,
      port: 0,
      // A timeout no test waits for: only the hang-up itself can end the request.
      limits: { ...limits, bodyTimeoutSeconds: 600 },
      log: (record) => logs.push(record),
    });
    try {
      const head =
        'POST /v1/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\n' +
        `Content-Length: ${jpeg12mp.byteLength}\r\n\r\n`;
      await rawRequest(own.url, head, jpeg12mp.subarray(0, 2 ** 20), 100);
      // The only decode slot (maxDecodes 1) is free again only once that request has ended.
      const next = await fetch(`${own.url}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: small,
      });
      expect(next.status).toBe(200);
      expect(logs.map((r) => [r.status, r.error])).toEqual([
        [400, 'bad_request'],
        [200, undefined],
      ]);
    } finally {
      await own.close();
    }
  });
});
