/**
 * `wrangler deploy --dry-run` builds the Worker offline for both model deliveries, and the
 * upload fits Cloudflare's Worker size limit (10 MiB gzip on Workers Paid; onnxruntime-web's
 * wasm alone is over the Free plan's 3 MiB). Bundled: the model is a module of the upload;
 * static assets: it is not, and the script is the same size whatever the model.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTinyModel } from './test-support/tiny-model.js';
import { buildWorkerBundle } from './test-support/worker-bundle.js';
import { PACKAGE_DIR } from './workerd/start-workerd.js';

const PAID_LIMIT = 10 * 2 ** 20;

describe('wrangler deploy --dry-run', () => {
  it('builds both deliveries offline, under the Workers size limit', async () => {
    const modelPath = await makeTinyModel();
    const bundled = await buildWorkerBundle(modelPath, 'bundle');
    const assets = await buildWorkerBundle(modelPath, 'assets');
    const summary = (b: typeof bundled) => ({
      totalKiB: Math.round(b.totalBytes / 1024),
      gzipKiB: Math.round(b.gzipBytes / 1024),
      wrangler: b.wranglerSummary,
      files: b.files.map(
        (f) => `${f.name.replace(/^[0-9a-f]{40}-/, '')} ${Math.round(f.gzipBytes / 1024)} KiB gz`,
      ),
    });
    console.log(
      'worker bundle sizes:',
      JSON.stringify({ bundled: summary(bundled), assets: summary(assets) }, null, 1),
    );

    const names = (b: typeof bundled) => b.files.map((f) => f.name.replace(/^[0-9a-f]{40}-/, ''));
    expect(names(bundled)).toEqual(
      expect.arrayContaining([
        'entry.js',
        'model.onnx',
        'ort-wasm-simd-threaded.wasm',
        'ferry-jpeg.wasm',
        'ferry-webp.wasm',
      ]),
    );
    expect(names(assets)).not.toContain('model.onnx');
    expect(names(assets)).toContain('ort-wasm-simd-threaded.wasm');
    expect(bundled.wranglerSummary).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    // The limit applies to wrangler's gzip figure; ours (per file) is within a few KiB of it.
    const wranglerGzip = Number(bundled.wranglerSummary.match(/gzip: ([\d.]+) KiB/)![1]) * 1024;
    expect(Math.abs(wranglerGzip - bundled.gzipBytes) / bundled.gzipBytes).toBeLessThan(0.05);
    expect(bundled.gzipBytes).toBeLessThan(PAID_LIMIT);
    expect(assets.gzipBytes).toBeLessThan(PAID_LIMIT);
    rmSync(bundled.outDir, { recursive: true, force: true });
    rmSync(assets.outDir, { recursive: true, force: true });
  });
});

describe('prepare-model (what build:worker / deploy run first)', () => {
  const target = join(PACKAGE_DIR, '.model/model.onnx');
  const prepare = (model: string) =>
    promisify(execFile)(process.execPath, [join(PACKAGE_DIR, 'scripts/prepare-model.mjs')], {
      env: { ...process.env, FERRY_MODEL: model },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  it('refuses a missing file or a non-Ferry file, naming it, and leaves .model/ untouched', async () => {
    const before = existsSync(target) ? statSync(target).mtimeMs : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'ferry-prepare-'));
    const missing = await prepare(join(dir, 'gone.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no model at .*gone\.onnx; set FERRY_MODEL/);
    writeFileSync(join(dir, 'not-ferry.onnx'), 'definitely not protobuf');
    const foreign = await prepare(join(dir, 'not-ferry.onnx'));
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/not-ferry\.onnx is not a Ferry model/);
    expect(existsSync(target) ? statSync(target).mtimeMs : undefined).toBe(before);
  });
});
