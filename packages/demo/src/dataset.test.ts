/**
 * The demo's dataset resolution against a real HTTP server on 127.0.0.1 that serves zips made
 * here: download + unzip into the cache, cache reuse, mirror precedence, and that a bad zip or a
 * dead URL leaves nothing behind that a later run would mistake for the dataset.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countImages, DemoDataError, resolveDemoDataset } from './dataset.js';

const SPLITS = ['train/ants', 'train/bees', 'val/ants', 'val/bees'];

/** A zip laid out like the PyTorch tutorial's, two "photos" per split, plus hostile entries. */
function datasetZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const split of SPLITS) {
    for (const n of [1, 2]) files[`hymenoptera_data/${split}/${n}.jpg`] = new Uint8Array([0xff, 0xd8, n]);
  }
  files['hymenoptera_data/../escaped.txt'] = new Uint8Array([1]);
  files['__MACOSX/hymenoptera_data/._x'] = new Uint8Array([1]);
  return zipSync(files);
}

const routes = new Map<string, Uint8Array>();
let server: Server;
let base: string;
let work: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes.set('/good.zip', datasetZip());
  routes.set('/garbage.zip', new Uint8Array(4096).fill(7));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ferry-demo-data-'));
  process.env.FERRY_CACHE_DIR = join(work, 'cache');
  delete process.env.FERRY_DATA_DIR;
  delete process.env.FERRY_OFFLINE;
});
afterEach(() => {
  process.env = { ...savedEnv };
  rmSync(work, { recursive: true, force: true });
});

const tiny = { minZipBytes: 100, minImages: 8 };

describe('resolveDemoDataset', () => {
  it('downloads and unpacks into the cache, then reuses the cache', async () => {
    const seen: number[] = [];
    const first = await resolveDemoDataset({
      url: `${base}/good.zip`,
      ...tiny,
      onProgress: (p) => seen.push(p.received),
    });
    expect(first).toEqual({ dir: join(work, 'cache/data/hymenoptera_data'), source: 'download' });
    expect(countImages(first.dir)).toBe(8);
    expect(seen.length).toBeGreaterThan(0);
    // The traversal entry was not written outside the dataset, and no temp files remain.
    expect(readdirSync(join(work, 'cache/data'))).toEqual(['hymenoptera_data']);
    const second = await resolveDemoDataset({ url: `${base}/missing.zip`, ...tiny });
    expect(second.source).toBe('cache');
  });

  it('prefers the FERRY_DATA_DIR mirror', async () => {
    const mirror = join(work, 'mirror');
    for (const split of SPLITS) {
      mkdirSync(join(mirror, 'hymenoptera_data', split), { recursive: true });
      writeFileSync(join(mirror, 'hymenoptera_data', split, 'a.jpg'), 'x');
    }
    process.env.FERRY_DATA_DIR = mirror;
    const found = await resolveDemoDataset({ url: `${base}/missing.zip`, ...tiny });
    expect(found).toEqual({ dir: join(mirror, 'hymenoptera_data'), source: 'mirror' });
  });

  it('rejects a file that is not a zip and leaves no partial dataset', async () => {
    await expect(resolveDemoDataset({ url: `${base}/garbage.zip`, ...tiny })).rejects.toThrow(
      /not a valid zip/,
    );
    expect(readdirSync(join(work, 'cache/data'))).toEqual([]);
  });

  it('rejects a zip too small to be the dataset', async () => {
    await expect(resolveDemoDataset({ url: `${base}/good.zip` })).rejects.toThrow(
      /expected a zip of about 47 MB/,
    );
    expect(readdirSync(join(work, 'cache/data'))).toEqual([]);
  });

  it('names the URL and FERRY_DATA_DIR when the download fails', async () => {
    const error = await resolveDemoDataset({ url: `${base}/missing.zip`, ...tiny }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DemoDataError);
    expect((error as Error).message).toMatch(/HTTP 404/);
    expect((error as Error).message).toContain(`${base}/missing.zip`);
    expect((error as Error).message).toContain('FERRY_DATA_DIR');
  });

  it('never downloads under FERRY_OFFLINE=1', async () => {
    process.env.FERRY_OFFLINE = '1';
    await expect(resolveDemoDataset({ url: `${base}/good.zip`, ...tiny })).rejects.toThrow(/FERRY_OFFLINE=1/);
  });
});
