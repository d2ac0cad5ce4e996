import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyBackbone } from '../test-support/synthetic.js';
import { type DownloadProgress, downloadFile } from './download.js';
import { resolveBackbone } from './resolve.js';

// A local server on 127.0.0.1 only: tests never touch the internet.
let server: Server;
let base: string;
let root: string;
const payload = randomBytes(300_000);
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-download-'));
  modelDir = join(root, 'served-model');
  await makeTinyBackbone(modelDir);
  server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (url === '/file.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (url === '/short.bin') {
      // Claims more than it sends, then drops the connection.
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1000));
      res.destroy();
    } else if (url.startsWith('/model/')) {
      try {
        res.end(await readFile(join(modelDir, url.slice('/model/'.length))));
      } catch {
        res.writeHead(404).end();
      }
    } else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

describe('downloadFile', () => {
  it('downloads with progress, verifies size and sha256, and leaves no temp file', async () => {
    const events: DownloadProgress[] = [];
    const dest = join(root, 'ok', 'file.bin');
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(payload).digest('hex');
    const r = await downloadFile(`${base}/file.bin`, dest, {
      expectedBytes: payload.length,
      sha256,
      onProgress: (p) => events.push(p),
    });
    expect(r.bytes).toBe(payload.length);
    expect(Buffer.compare(await readFile(dest), payload)).toBe(0);
    expect(events.at(-1)).toMatchObject({ received: payload.length, total: payload.length });
    expect(await readdir(join(root, 'ok'))).toEqual(['file.bin']);
  });

  it('refuses a wrong size or hash without leaving a file behind', async () => {
    const dir = join(root, 'bad');
    await expect(downloadFile(`${base}/file.bin`, join(dir, 'a.bin'), { expectedBytes: 5 })).rejects.toThrow(
      /has 300000 bytes, expected 5/,
    );
    await expect(
      downloadFile(`${base}/file.bin`, join(dir, 'b.bin'), { sha256: 'ab'.repeat(32) }),
    ).rejects.toThrow(/sha256 .* expected abab/);
    await expect(downloadFile(`${base}/short.bin`, join(dir, 'c.bin'))).rejects.toThrow(
      /cannot download|cut short/,
    );
    await expect(downloadFile(`${base}/missing`, join(dir, 'd.bin'))).rejects.toThrow(/HTTP 404/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names the URL when the host cannot be reached', async () => {
    // A port that was just free: nothing listens there any more.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await expect(downloadFile(`http://127.0.0.1:${port}/x.bin`, join(root, 'x.bin'))).rejects.toThrow(
      new RegExp(`cannot download http://127\\.0\\.0\\.1:${port}/x\\.bin: ECONNREFUSED`),
    );
  });
});

describe('resolveBackbone', () => {
  it('uses the FERRY_MODELS_DIR mirror first, then downloads into FERRY_CACHE_DIR', async () => {
    const saved = { models: process.env.FERRY_MODELS_DIR, cache: process.env.FERRY_CACHE_DIR };
    try {
      process.env.FERRY_OFFLINE = '1';
      process.env.FERRY_MODELS_DIR = root;
      process.env.FERRY_CACHE_DIR = join(root, 'cache');
      // Not in the mirror, offline → the error names the canonical URL and the mirror variable.
      await expect(resolveBackbone('mobilenet_v2_0.50_224')).rejects.toThrow(
        /storage\.googleapis\.com\/teachable-machine-models\/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0\.50_224_no_top\/model\.json.*FERRY_MODELS_DIR/s,
      );
      delete process.env.FERRY_OFFLINE;
      // A URL backbone is fetched (model.json + shards) into the cache, model.json last.
      const r = await resolveBackbone(`${base}/model/model.json`, { featureLayer: 'out_relu' });
      expect(r.modelJson.startsWith(join(root, 'cache', 'backbones'))).toBe(true);
      expect(existsSync(join(r.modelJson, '..', 'weights.bin'))).toBe(true);
      expect(readdirSync(join(r.modelJson, '..')).sort()).toEqual(['model.json', 'weights.bin']);
      // Local directories need the feature layer named.
      await expect(resolveBackbone(modelDir)).rejects.toThrow(/--feature-layer/);
      await expect(resolveBackbone(join(root, 'nothing'))).rejects.toThrow(/unknown backbone/);
    } finally {
      delete process.env.FERRY_OFFLINE;
      process.env.FERRY_MODELS_DIR = saved.models;
      process.env.FERRY_CACHE_DIR = saved.cache;
      if (saved.models === undefined) delete process.env.FERRY_MODELS_DIR;
      if (saved.cache === undefined) delete process.env.FERRY_CACHE_DIR;
    }
  });
});
