/**
 * The demo in real Chromium: built with Vite for an exported model, served on 127.0.0.1,
 * photos uploaded through the file input. What the page shows must match onnxruntime-node on
 * the same files, in-browser (onnxruntime-web wasm) and through the real edge API.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readModelSpecFromOnnx } from '@ferry/core';
import { type RunningServer, startNode } from '@ferry/edge-api/testing';
import { syntheticPhotos } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORT_FILES } from '../vite-plugins/ferry-site.js';
import { buildSite, PACKAGE_DIR } from './test-support/build-site.js';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { openDemo, upload, useMode } from './test-support/page-driver.js';
import { type PhotoSet, photoSet } from './test-support/photos.js';
import { type Reference, referenceAnswers } from './test-support/reference.js';
import { type StaticServer, serveStatic } from './test-support/static-server.js';
import { tinyExportedModel } from './test-support/test-model.js';

const TEST = 'web-demo in Chromium';
const ARTIFACTS = join(PACKAGE_DIR, 'test-artifacts');
const TOLERANCE = 1e-3;

describe.runIf(haveChromium(TEST))(TEST, () => {
  let scratch: string;
  let outDir: string;
  let modelPath: string;
  let labels: string[];
  let photos: PhotoSet;
  let site: StaticServer;
  let edge: RunningServer;
  let browser: LaunchedBrowser;
  let reference: Map<string, Reference>;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-web-demo-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    // An open-set model (what `ferry train` writes now): calibrated probabilities + ood_score.
    modelPath = await tinyExportedModel(scratch, undefined, 1, 'tiny-web-demo', 'knn-cosine');
    labels = readModelSpecFromOnnx(readFileSync(modelPath)).labels;
    photos = await photoSet(scratch, TEST);
    console.log(
      `${TEST}: ${photos.source} photos, ${photos.validation.length} validation + ${photos.assorted.length} assorted`,
    );
    outDir = join(scratch, 'site');
    await buildSite(modelPath, outDir);
    [site, edge, browser] = await Promise.all([serveStatic(outDir), startNode(modelPath), launchChromium()]);
    reference = await referenceAnswers(modelPath, [...photos.validation, ...photos.assorted]);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await edge?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const newPage = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    return page;
  };

  it('classifies photos in the browser like onnxruntime-node, on wasm, with a model card', async () => {
    const page = await newPage();
    await openDemo(page, site.url);
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    // --disable-gpu: no WebGPU adapter, so wasm must have run, and the page must say so.
    expect(await page.textContent('#runtime-status')).toContain('wasm');
    const card = (await page.textContent('#model-card')) ?? '';
    for (const label of labels) expect(card).toContain(label);
    // The card's values come from the spec embedded in the ONNX file (core's readModelSpecFromOnnx).
    const spec = readModelSpecFromOnnx(readFileSync(modelPath));
    expect(card).toContain(`${spec.input.width}×${spec.input.height} RGB`);
    expect(card).toContain(spec.backbone?.id ?? 'not recorded');
    const accuracy = spec.training?.valAccuracy;
    expect(card).toContain(accuracy === undefined ? 'not recorded' : `${(accuracy * 100).toFixed(1)}%`);
    expect(card).toMatch(/File size\s*\d/);

    const files = [...photos.validation, ...photos.assorted];
    const shown = await upload(page, files);
    let worst = 0;
    let flips = 0;
    for (const [i, result] of shown.entries()) {
      const file = files[i]!;
      const ref = reference.get(file)!;
      expect(result, basename(file)).toMatchObject({ status: 'done', mode: 'local', name: basename(file) });
      const diffs = result.probabilities!.map((p, j) => Math.abs(p - ref.probabilities[j]!));
      worst = Math.max(worst, ...diffs);
      expect(Math.max(...diffs), `${basename(file)} probabilities`).toBeLessThanOrEqual(TOLERANCE);
      if (result.top1 !== ref.top1) flips++;
      // Top-1 may only differ where the reference itself is a tie within the tolerance.
      const sorted = [...ref.probabilities].sort((a, b) => b - a);
      if (sorted[0]! - sorted[1]! > 2 * TOLERANCE) expect(result.top1, basename(file)).toBe(ref.top1);
    }
    console.log(
      `${TEST}: ${files.length} photos in-browser vs onnxruntime-node: max |Δp| = ${worst.toExponential(2)}, top-1 differs on ${flips}`,
    );

    // Several photos make a grid: more than one card per row on a desktop viewport...
    const columns = () =>
      page.$eval('#results', (el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
    expect(await columns()).toBeGreaterThan(1);
    await page.screenshot({ path: join(ARTIFACTS, 'results-desktop.png') });
    // ...and one column on a phone, with nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await columns()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, 'results-phone.png'), fullPage: true });
    await page.close();
  });

  it('open set: each card says "Not ants or bees?" with the closest label when the score is over the threshold, in-browser and via the edge API; PNG scores within 1e-4 of onnxruntime-node', async () => {
    const spec = readModelSpecFromOnnx(readFileSync(modelPath));
    const threshold = spec.openSet!.threshold;
    // Lossless photos: the browser's decoder gives sharp's pixels, so any score difference is the runtime.
    const pngs = await Promise.all(
      (await syntheticPhotos(join(scratch, 'open-set'), 4)).map(async (jpeg) => {
        const png = jpeg.replace(/\.jpg$/, '.png');
        await sharp(jpeg).png().toFile(png);
        return png;
      }),
    );
    const refs = await referenceAnswers(modelPath, pngs);
    const page = await newPage();
    await openDemo(page, site.url);
    const card = (await page.textContent('#model-card')) ?? '';
    expect(card).toContain('Unknown photos');
    expect(card).toContain(String(+threshold.toPrecision(4)));
    for (const mode of ['local', 'edge'] as const) {
      if (mode === 'edge') await useMode(page, 'edge', edge.url);
      const shown = await upload(page, pngs);
      let unknown = 0;
      for (const [i, result] of shown.entries()) {
        const ref = refs.get(pngs[i]!)!;
        const name = `${mode} ${basename(pngs[i]!)}`;
        expect(result.status, name).toBe('done');
        expect(Math.abs(result.oodScore! - ref.oodScore!), name).toBeLessThan(1e-4);
        expect(result.unknown, name).toBe(ref.unknown);
        if (result.unknown) {
          unknown++;
          expect(result.headline, name).toMatch(/^Not ants or bees\? Closest: (ants|bees) · \d/);
        } else expect(result.headline, name).not.toMatch(/^Not /);
      }
      console.log(
        `${TEST}: open set, ${mode}: ${unknown}/${shown.length} PNG photos unknown (threshold ${threshold})`,
      );
    }
    await page.screenshot({ path: join(ARTIFACTS, 'open-set.png') });
    await page.close();
  });

  it('`npm run build` output: a static site with the model, the wasm files and a service worker precaching them', () => {
    const files = readdirSync(outDir, { recursive: true }).map(String).sort();
    expect(files).toEqual(
      expect.arrayContaining(['index.html', 'model.onnx', 'sw.js', ...ORT_FILES.map((f) => join('ort', f))]),
    );
    expect(readFileSync(join(outDir, 'model.onnx')).equals(readFileSync(modelPath))).toBe(true);
    // Relative URLs: the site works from any folder of any host.
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toMatch(/src="\.\/assets\/[^"]+\.js"/);
    const sw = readFileSync(join(outDir, 'sw.js'), 'utf8');
    for (const file of ['./', 'index.html', 'model.onnx', ...ORT_FILES.map((f) => `ort/${f}`)])
      expect(sw).toContain(JSON.stringify(file));
    for (const asset of files.filter((f) => f.startsWith('assets/')))
      expect(sw).toContain(JSON.stringify(asset));
  });

  it('URL parameters: ?ep= picks the execution provider and says why WebGPU did not run; ?mode=edge&api= opens edge mode', async () => {
    const page = await newPage();
    await openDemo(page, site.url, '&ep=wasm');
    expect(await page.textContent('#runtime-status')).toBe('In browser · wasm');
    expect(await page.textContent('#model-card')).toContain('onnxruntime-web · wasm (wasm was requested)');
    // Asked for WebGPU in a browser without a GPU adapter (--disable-gpu): wasm runs, and the card says why.
    await openDemo(page, site.url, '&ep=webgpu');
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    expect(await page.textContent('#runtime-status')).toBe('In browser · wasm');
    expect(await page.textContent('#model-card')).toMatch(
      /onnxruntime-web · wasm \((no WebGPU adapter|this browser has no WebGPU|WebGPU)/,
    );

    await openDemo(page, site.url, `&mode=edge&api=${encodeURIComponent(edge.url)}`);
    expect(await page.textContent('#runtime-status')).toBe('Edge API');
    expect(await page.inputValue('#api-base')).toBe(edge.url);
    const [result] = await upload(page, [photos.assorted[0]!]);
    expect(result).toMatchObject({
      status: 'done',
      mode: 'edge',
      top1: reference.get(photos.assorted[0]!)!.top1,
    });
    expect(await page.textContent('.result:first-child .result-meta')).toMatch(
      /^\d+(\.\d)? ms via edge APIserver: decode \d+(\.\d)? ms · preprocess \d+(\.\d)? ms · inference \d+(\.\d)? ms · model /,
    );
    // The mode is remembered: a plain visit comes back in edge mode.
    await page.goto(site.url);
    await page.waitForSelector('body[data-model]');
    expect(await page.getAttribute('body', 'data-mode')).toBe('edge');
    await page.close();
  });

  it('decodes like sharp within a level or two (report), EXIF orientation honoured', async () => {
    const page = await newPage();
    await openDemo(page, site.url);
    // Synthetic photos too: one is stored sideways with EXIF orientation 6 (the real ones are upright).
    const synthetic = await syntheticPhotos(join(scratch, 'exif'), 2);
    // A few photos are enough here: real-model.test.ts compares the decoders on the whole val set.
    const files = [...photos.assorted.slice(0, 4), ...photos.validation.slice(0, 2), ...synthetic];
    let maxDiff = 0;
    let sumDiff = 0;
    let samples = 0;
    let differing = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      // The page's own decoder (createImageBitmap + canvas), on the same bytes.
      const decoded = await page.evaluate(async (b64) => {
        const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const demo = (globalThis as any).ferryDemo;
        const image = await demo.decodeImage(new Blob([raw]));
        let s = '';
        for (let i = 0; i < image.data.length; i += 0x8000)
          s += String.fromCharCode(...image.data.subarray(i, i + 0x8000));
        return { width: image.width, height: image.height, channels: image.channels, rgba: btoa(s) };
      }, bytes.toString('base64'));
      const { data, info } = await sharp(bytes)
        .rotate()
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([decoded.width, decoded.height], basename(file)).toEqual([info.width, info.height]);
      const rgba = Buffer.from(decoded.rgba, 'base64');
      // JPEGs come from the wasm libjpeg-turbo as RGB, other formats from the canvas as RGBA.
      for (let p = 0, q = 0; q < data.length; p += decoded.channels, q += 3) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(rgba[p + c]! - data[q + c]!);
          if (d > maxDiff) maxDiff = d;
          if (d) differing++;
          sumDiff += d;
        }
      }
      samples += data.length;
    }
    const mean = sumDiff / samples;
    console.log(
      `${TEST}: canvas vs sharp decode on ${files.length} photos: max ${maxDiff} levels, mean ${mean.toFixed(3)}, ${((100 * differing) / samples).toFixed(1)}% of samples differ`,
    );
    // A different JPEG decoder, not a different image: small on average.
    expect(mean).toBeLessThan(2);
    await page.close();
  });

  it('explains bad uploads in plain words: not an image, too large, damaged', async () => {
    const page = await newPage();
    await openDemo(page, site.url);
    const jpeg = readFileSync(photos.assorted[0]!);
    const huge = Buffer.from(jpeg);
    patchJpegSize(huge, 60_000, 60_000);
    const shown = await upload(page, [
      {
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('these are not the pixels you are looking for\n'),
      },
      {
        name: 'big.jpg',
        mimeType: 'image/jpeg',
        buffer: Buffer.concat([jpeg, Buffer.alloc(21 * 1024 * 1024)]),
      },
      { name: 'huge.jpg', mimeType: 'image/jpeg', buffer: huge },
      { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) },
      { name: 'garbled.jpg', mimeType: 'image/jpeg', buffer: garble(jpeg) },
    ]);
    expect(shown.map((r) => r.status)).toEqual(['error', 'error', 'error', 'error', 'error']);
    expect(shown[0]!.error).toBe('“notes.txt” is not an image. Use a JPEG, PNG, GIF or WebP photo.');
    expect(shown[1]!.error).toMatch(
      /^“big\.jpg” is too large \(2\d\.\d MB\)\. The limit is 20\.0 MB per photo\.$/,
    );
    expect(shown[2]!.error).toMatch(/^“huge\.jpg” is too large \(60000 × 60000 pixels\)/);
    expect(shown[3]!.error).toBe('“empty.jpg” is empty.');
    expect(shown[4]!.error).toMatch(
      /^“garbled\.jpg” (could not be decoded|looks like an image but is damaged)/,
    );
    // The page stays usable after errors.
    const ok = await upload(page, [photos.assorted[0]!]);
    expect(ok[0]!.status).toBe('done');
    await page.screenshot({ path: join(ARTIFACTS, 'errors-desktop.png'), fullPage: true });
    await page.close();
  });

  it('classifies through the real edge API (Node server) with the same answers', async () => {
    const page = await newPage();
    await openDemo(page, site.url);
    await useMode(page, 'edge', edge.url);
    expect(await page.isVisible('#api-base')).toBe(true);
    const files = photos.assorted;
    const shown = await upload(page, files);
    for (const [i, result] of shown.entries()) {
      const ref = reference.get(files[i]!)!;
      expect(result, basename(files[i]!)).toMatchObject({ status: 'done', mode: 'edge', top1: ref.top1 });
      for (const p of result.predictions!) {
        expect(p.probability).toBeCloseTo(ref.probabilities[labels.indexOf(p.label)]!, 6);
      }
    }
    // A JPEG whose header passes the page's checks but whose data is cut: the server says why.
    const jpeg = readFileSync(files[0]!);
    const [cut] = await upload(page, [
      { name: 'cut.jpg', mimeType: 'image/jpeg', buffer: jpeg.subarray(0, jpeg.length >> 1) },
    ]);
    expect(cut!.status).toBe('error');
    expect(cut!.error).toMatch(/^The edge API refused the photo: /);
    // A photo the server refuses as too large (its pixel budget is smaller than a browser's) is
    // answered in this browser, with the server's reason beside the answer.
    const strict = await startNode(modelPath, { FERRY_MAX_PIXELS: '1000' });
    try {
      await useMode(page, 'edge', strict.url);
      const [refused] = await upload(page, [files[0]!]);
      expect(refused).toMatchObject({ status: 'done', mode: 'local', top1: reference.get(files[0]!)!.top1 });
      expect(refused!.meta).toMatch(
        /in this browser.*answered in this browser: the edge API refused the photo: image is/,
      );
    } finally {
      await strict.stop();
    }
    // Unreachable API: a plain sentence, not a stack trace.
    await useMode(page, 'edge', 'http://127.0.0.1:9');
    const [down] = await upload(page, [files[0]!]);
    expect(down!.error).toMatch(/^Could not reach the edge API at http:\/\/127\.0\.0\.1:9\/v1\/classify/);
    await useMode(page, 'edge', edge.url);
    await page.screenshot({ path: join(ARTIFACTS, 'edge-desktop.png') });
    await page.close();
  });

  it('says so plainly when the model cannot load or the camera is unavailable', async () => {
    const page = await newPage();
    await openDemo(page, site.url, '&model=missing.onnx');
    expect(await page.getAttribute('body', 'data-model')).toBe('error');
    expect(await page.textContent('#model-card')).toContain('The model failed to load: no model at');
    expect(await page.textContent('#runtime-status')).toBe('Model failed to load');
    const [result] = await upload(page, [photos.assorted[0]!]);
    expect(result!.error).toMatch(/^The model failed to load .* Try the edge API instead\.$/);
    // Headless Chromium has no camera: the page must say so instead of failing silently.
    await page.click('#camera-button');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toMatch(/camera/i);
    await page.close();
  });
});

/** Rewrites the SOF dimensions, leaving the pixels: a "decompression bomb" header. */
function patchJpegSize(jpeg: Buffer, width: number, height: number): void {
  for (let i = 2; i + 9 < jpeg.length; ) {
    const marker = jpeg[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc3) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return;
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker');
}

/** Keeps the headers, replaces the entropy-coded data with noise that no decoder accepts. */
function garble(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  const sos = out.indexOf(Buffer.from([0xff, 0xda]));
  for (let i = sos + 20; i < out.length; i++) out[i] = 0xff;
  return out;
}
