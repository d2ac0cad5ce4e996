/**
 * The app in-process (Node adapter, real onnxruntime-node): model problems are clear 503s
 * that leave /healthz up, and the classify response has the documented shape.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Prediction } from '@ferry/core';
import { photo } from '@ferry/trainer/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeApp } from './adapter/node/index.js';
import type { RequestLog } from './app.js';
import { makeTinyModel, TINY_LABELS } from './test-support/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-app-'));

describe('model problems', () => {
  const cases: [string, () => string, RegExp][] = [
    ['missing file', () => join(dir, 'nope.onnx'), /cannot read model file .*nope\.onnx \(ENOENT\)/],
    [
      'not an ONNX file',
      () => {
        const path = join(dir, 'garbage.onnx');
        writeFileSync(path, '<html>not a model</html>');
        return path;
      },
      /ONNX/,
    ],
  ];
  for (const [name, makePath, message] of cases) {
    it(`${name}: 503 model_unavailable with a clear message, /healthz still 200`, async () => {
      const app = createNodeApp({ modelPath: makePath(), log: () => {} });
      const res = await app.request('/v1/model');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('model_unavailable');
      expect(body.error.message).toMatch(message);
      expect((await app.request('/healthz')).status).toBe(200);
    });
  }
});

describe('classify response', () => {
  let modelPath: string;
  beforeAll(async () => {
    modelPath = await makeTinyModel();
  });

  it('has model, predictions sorted by probability, timings; GET /v1/model has the spec', async () => {
    const logs: RequestLog[] = [];
    const app = createNodeApp({ modelPath, log: (r) => logs.push(r) });
    const jpeg = new Uint8Array(await photo(120, 90).jpeg().toBuffer());
    const res = await app.request('/v1/classify?top_k=2', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: jpeg,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: { name: string; sha256: string; labels: string[] };
      predictions: Prediction[];
      timing_ms: Record<string, number>;
    };
    expect(body.model.labels).toEqual(TINY_LABELS);
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions[0]!.probability).toBeGreaterThanOrEqual(body.predictions[1]!.probability);
    expect(Object.keys(body.timing_ms)).toEqual(['decode', 'preprocess', 'inference']);

    const spec = (await (await app.request('/v1/model')).json()) as { labels: string[]; input: object };
    expect(spec.labels).toEqual(TINY_LABELS);
    expect(spec.input).toBeDefined();
    expect(logs.map((l) => [l.route, l.status])).toEqual([
      ['/v1/classify', 200],
      ['/v1/model', 200],
    ]);
  });

  it('applies the configured limits', async () => {
    const app = createNodeApp({
      modelPath,
      limits: { maxPixels: 100 * 100, maxBodyBytes: 50_000 },
      log: () => {},
    });
    const send = async (bytes: Uint8Array<ArrayBuffer>) =>
      (
        await app.request('/v1/classify', {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: bytes,
        })
      ).status;
    expect(await send(new Uint8Array(await photo(100, 100).png().toBuffer()))).toBe(200);
    expect(await send(new Uint8Array(await photo(101, 100).png().toBuffer()))).toBe(413);
    expect(await send(new Uint8Array(60_000))).toBe(413);
  });
});
