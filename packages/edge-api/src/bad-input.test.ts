/**
 * The bad-upload corpus against both real runtimes: the Workers build in workerd and the Node
 * server process (`npm start`). Every case must get its status and a JSON error body; neither
 * runtime may crash, and a normal request must still succeed afterwards.
 */
import { readFileSync } from 'node:fs';
import type { ClassifyResponse } from '@ferry/core';
import { photo } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badInputCorpus, type CorpusCase, sendCase } from './test-support/bad-input-corpus.js';
import { startNode } from './test-support/start-node.js';
import { makeTinyModel, TINY_LABELS } from './test-support/tiny-model.js';
import { type RunningServer, startWorkerd } from './workerd/start-workerd.js';

let modelPath: string;
beforeAll(async () => {
  modelPath = await makeTinyModel();
});

const runtimes: [string, (model: string) => Promise<RunningServer & { logs?: string[] }>][] = [
  ['workerd', (model) => startWorkerd(model)],
  ['node', (model) => startNode(model)],
];

describe.each(runtimes)('bad-input corpus on %s', (_runtime, start) => {
  let server: RunningServer & { logs?: string[] };
  let corpus: CorpusCase[];
  beforeAll(async () => {
    server = await start(modelPath);
    corpus = await badInputCorpus();
  });
  afterAll(() => server?.stop());

  it('answers every case with its status and a JSON error, then still classifies', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const c of corpus) {
      const res = await sendCase(server.url, c);
      const text = await res.text();
      let body: { error?: { code: string; message: string }; predictions?: unknown[] } = {};
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: { code: 'NOT JSON', message: text.slice(0, 80) } };
      }
      got[c.name] = `${res.status} ${body.error?.code ?? ''}`.trim();
      want[c.name] = `${c.status} ${c.status >= 400 ? (c.code ?? body.error?.code ?? '?') : ''}`.trim();
      if (res.status >= 400) expect(typeof body.error?.message, c.name).toBe('string');
      if (c.name.startsWith('huge top_k')) expect(body.predictions).toHaveLength(TINY_LABELS.length);
    }
    // One comparison of the whole table so a failure shows every mismatch at once.
    expect(got).toEqual(want);

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ok = await fetch(`${server.url}/v1/classify?top_k=2`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photo(100, 80, 42).jpeg().toBuffer()),
    });
    expect(ok.status).toBe(200);
    const result = (await ok.json()) as Pick<ClassifyResponse, 'predictions'>;
    expect(result.predictions).toHaveLength(2);
    expect(TINY_LABELS).toContain(result.predictions[0]!.label);
  });

  it('sends CORS headers for the web demo', async () => {
    const preflight = await fetch(`${server.url}/v1/classify`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const res = await fetch(`${server.url}/healthz`, { headers: { origin: 'http://localhost:5173' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('node server logs', () => {
  it('writes one JSON line per request with status, sizes and timings, and no user content', async () => {
    const server = await startNode(modelPath);
    try {
      const secret = 'secret-filename-7f3a';
      const form = new FormData();
      form.append('image', new Blob([readFileSync(modelPath).subarray(0, 0)]), `${secret}.jpg`);
      await fetch(`${server.url}/v1/classify?top_k=${secret}`, { method: 'POST', body: form });
      const jpeg = new Uint8Array(await photo(64, 64).jpeg().toBuffer());
      await fetch(`${server.url}/v1/classify?note=${secret}`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: jpeg,
      });
      await new Promise((r) => setTimeout(r, 200));
      const records = server.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((r) => r.route !== undefined);
      const classify = records.filter((r) => r.route === '/v1/classify');
      expect(classify.map((r) => r.status)).toEqual([400, 200]);
      expect(classify[1]).toMatchObject({ method: 'POST', request_bytes: jpeg.length });
      expect(Object.keys(classify[1]!.timing_ms as object)).toEqual(['decode', 'preprocess', 'inference']);
      expect(server.logs.join('\n')).not.toContain(secret);
    } finally {
      await server.stop();
    }
  });
});
