/**
 * The demo with a real model on real photos, in Chromium: MobileNetV2 0.35 with an ants/bees
 * head trained by the trainer and exported by its exporter. The page's answers (onnxruntime-web
 * wasm, the wasm libjpeg-turbo, core preprocessing) must equal `ferry predict` (onnxruntime-node,
 * the same decoder) on the whole ants/bees val set: top-1 equal, probabilities within 1e-3. Same through the edge
 * API, in Node and in workerd. Needs FERRY_DATA_DIR, FERRY_MODELS_DIR and FERRY_IMAGES_DIR.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type ClassifyResponse, readModelSpecFromOnnx } from '@ferry/core';
import { type RunningServer, startNode, startWorkerd } from '@ferry/edge-api/testing';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { decodeImageFile } from '@ferry/trainer';
import { ferryPredict, type PredictAnswer, trainRealModel } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, PACKAGE_DIR } from './test-support/build-site.js';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { openDemo, type ShownResult, upload, useMode } from './test-support/page-driver.js';
import { type StaticServer, serveStatic } from './test-support/static-server.js';

const TEST = 'web-demo with a trained MobileNetV2 on real photos';
const TOLERANCE = 1e-3;
const ARTIFACTS = join(PACKAGE_DIR, 'test-artifacts');

const runs =
  haveChromium(TEST) &&
  haveRealData('hymenopteraDir', TEST) &&
  haveRealData('modelsDir', TEST) &&
  haveRealData('imagesDir', TEST);

const jpegs = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));

describe.runIf(runs)(TEST, () => {
  let scratch: string;
  let modelPath: string;
  let labels: string[];
  /** The val set with its true labels (the folder names). */
  let validation: { file: string; label: string }[];
  let assorted: string[];
  let predicted: Map<string, PredictAnswer>;
  let site: StaticServer;
  let edge: RunningServer;
  let browser: LaunchedBrowser;
  /** Extra files the static server serves (the decoded pixels for the runtime check). */
  const overrides = new Map<string, string>();

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-web-real-'));
    const data = realData();
    modelPath = await trainRealModel(data.hymenopteraDir!, join(scratch, 'real-run'));
    labels = readModelSpecFromOnnx(readFileSync(modelPath)).labels;
    const val = join(data.hymenopteraDir!, 'val');
    validation = labels.flatMap((label) => jpegs(join(val, label)).map((file) => ({ file, label })));
    // Phone-camera sizes too: 4032x3024 copies of four val photos (quality 90, made here), which
    // the page, both edge runtimes and `ferry predict` all decode at 1/8 by the model's rule.
    const phone = await Promise.all(
      [validation[3]!, validation[20]!, validation.at(-4)!, validation.at(-20)!].map(async ({ file }, i) => {
        const copy = join(scratch, `phone-${i}-${basename(file)}`);
        writeFileSync(
          copy,
          await sharp(file).resize(4032, 3024, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
        );
        return copy;
      }),
    );
    assorted = [...jpegs(data.imagesDir!), ...phone];
    const siteDir = join(scratch, 'site');
    await buildSite(modelPath, siteDir);
    [site, edge, browser, predicted] = await Promise.all([
      serveStatic(siteDir, overrides),
      startNode(modelPath),
      launchChromium(),
      ferryPredict(modelPath, [...validation.map((v) => v.file), ...assorted]),
    ]);
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
    await openDemo(page, site.url);
    return page;
  };

  /** Largest |Δp| between a card and `ferry predict`; top-1 must match unless that is a near tie. */
  const delta = (result: ShownResult, file: string, all: boolean): number => {
    const ref = predicted.get(file)!;
    expect(result.status, `${basename(file)}: ${result.error ?? ''}`).toBe('done');
    // In-browser cards carry every label; edge cards carry the API's top-k.
    const shown = all
      ? result.probabilities!.map((p, j) => [labels[j]!, p] as const)
      : result.predictions!.map((p) => [p.label, p.probability] as const);
    let worst = 0;
    for (const [label, p] of shown) worst = Math.max(worst, Math.abs(p - ref.probabilities.get(label)!));
    const sorted = [...ref.probabilities.values()].sort((a, b) => b - a);
    if (sorted[0]! - sorted[1]! > 2 * worst) expect(result.top1, basename(file)).toBe(ref.top1);
    return worst;
  };

  it('in the browser: the val set as uploaded agrees with `ferry predict`; the page decodes every JPEG to its pixels; the card shows the real spec', async () => {
    const page = await newPage();
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    const spec = readModelSpecFromOnnx(readFileSync(modelPath));
    const card = (await page.textContent('#model-card')) ?? '';
    expect(card).toContain('mobilenet_v2_0.35_224');
    expect(card).toContain('224×224 RGB');
    const recorded = spec.training!.valAccuracy!;
    expect(card).toContain(`${(recorded * 100).toFixed(1)}%`);

    // End to end, as a user uploads them.
    const files = [...validation.map((v) => v.file), ...assorted];
    const results = await upload(page, files);
    const deltas = files.map((file, i) => delta(results[i]!, file, true));

    // The decoders: `ferry predict`'s pixels (exactly what it feeds the model) are served to the
    // page beside the original files; the page decodes each file itself and compares. Where they
    // differ, the page's classifier also runs on predict's pixels, which isolates onnxruntime-web.
    const sizes: { width: number; height: number }[] = [];
    for (const [i, file] of files.entries()) {
      const { image } = await decodeImageFile(file, spec.decode);
      const raw = join(scratch, `pixels-${i}.rgb`);
      writeFileSync(raw, image.data);
      overrides.set(`/check/${i}.rgb`, raw);
      overrides.set(`/check/${i}.photo`, file);
      sizes.push({ width: image.width, height: image.height });
    }
    const checked = await page.evaluate(
      async ({ sizes, over, rule }) => {
        const demo = (globalThis as any).ferryDemo;
        const model = await demo.modelReady;
        const out = [];
        for (const [i, { width, height }] of sizes.entries()) {
          const rgb = new Uint8Array(await (await fetch(`check/${i}.rgb`)).arrayBuffer());
          const photo = await (await fetch(`check/${i}.photo`)).blob();
          const decoded = await demo.decodeImage(photo, `${i}.photo`, rule);
          let max = 0;
          let differing = 0;
          for (let p = 0, q = 0; q < rgb.length; p += decoded.channels, q += 3) {
            for (let c = 0; c < 3; c++) {
              const d = Math.abs(decoded.data[p + c] - rgb[q + c]!);
              if (d > max) max = d;
              if (d) differing++;
            }
          }
          let samePixels: number[] | null = null;
          if (differing || over.includes(i)) {
            const data = { width, height, channels: 3, data: rgb };
            const result = await model.classifier.classify(data, { topK: 1 });
            samePixels = Array.from(result.probabilities as Float32Array);
          }
          const sameSize = decoded.width === width && decoded.height === height;
          out.push({ sameSize, max, differing, samples: rgb.length, samePixels });
        }
        return out;
      },
      { sizes, over: deltas.flatMap((d, i) => (d > TOLERANCE ? [i] : [])), rule: spec.decode },
    );

    let sameWorst = 0;
    for (const [i, file] of files.entries()) {
      const c = checked[i]!;
      expect(c.sameSize, basename(file)).toBe(true);
      const ref = predicted.get(file)!;
      // Identical pixels: the runtimes must agree within the tolerance.
      const samePixels = c.samePixels ?? results[i]!.probabilities!;
      for (const [j, p] of samePixels.entries())
        sameWorst = Math.max(sameWorst, Math.abs(p - ref.probabilities.get(labels[j]!)!));
      if (deltas[i]! > TOLERANCE) {
        console.log(
          `${TEST}: ${basename(file)}: page |Δp| = ${deltas[i]!.toExponential(2)}; page vs ferry predict pixels: max ${c.max} levels, ${((100 * c.differing) / c.samples).toFixed(1)}% of samples differ${iccProfile(file) ? ' (embedded ICC profile)' : ''}`,
        );
      }
    }
    const maxLevels = Math.max(...checked.map((c) => c.max));
    const differing =
      checked.reduce((n, c) => n + c.differing, 0) / checked.reduce((n, c) => n + c.samples, 0);
    const sorted = [...deltas].sort((a, b) => a - b);
    const over = deltas.filter((d) => d > TOLERANCE).length;
    const correct = validation.filter((v, i) => results[i]!.top1 === v.label).length;
    const accuracy = correct / validation.length;
    console.log(
      [
        `${TEST}: ${files.length} photos (val set + assorted):`,
        `  onnxruntime-web (wasm) vs ferry predict on identical pixels: max |Δp| = ${sameWorst.toExponential(2)}`,
        `  page vs ferry predict decoding: max ${maxLevels} levels, ${(100 * differing).toFixed(2)}% of samples differ, on ${checked.filter((c) => c.differing).length} photos`,
        `  page end to end vs ferry predict: median |Δp| = ${sorted[sorted.length >> 1]!.toExponential(2)}, max ${sorted.at(-1)!.toExponential(2)}, ${over} over ${TOLERANCE}`,
        `  val accuracy on the page ${(accuracy * 100).toFixed(1)}% (recorded in the model ${(recorded * 100).toFixed(1)}%)`,
      ].join('\n'),
    );
    expect(sameWorst).toBeLessThanOrEqual(TOLERANCE);
    // Every file here is a JPEG: the page, `ferry predict` and the trainer decode it with the one
    // committed libjpeg-turbo wasm, so the pixels are identical.
    expect(maxLevels).toBe(0);
    expect(sorted.at(-1)!).toBeLessThanOrEqual(0.02);
    expect(over).toBeLessThanOrEqual(files.length * 0.1);
    // The page reproduces the accuracy the trainer recorded in the model (one photo's slack).
    expect(Math.abs(accuracy - recorded)).toBeLessThanOrEqual(1 / validation.length + 1e-9);

    // Only the newest few cards are in view; the screenshot shows a real results page.
    await page.screenshot({ path: join(ARTIFACTS, 'real-model-desktop.png') });
    await page.close();
  });

  it('through the edge API, Node server and workerd: the page shows their answers; Node equals `ferry predict`', async () => {
    const worker = await startWorkerd(modelPath);
    try {
      const page = await newPage();
      for (const [name, server] of [
        ['node', edge],
        ['workerd', worker],
      ] as const) {
        await useMode(page, 'edge', server.url);
        const results = await upload(page, assorted);
        for (const [i, r] of results.entries()) {
          expect(r.mode).toBe('edge');
          // The page shows exactly what the server answers for the same bytes.
          const direct = await classifyDirectly(server.url, assorted[i]!);
          for (const p of r.predictions!) expect(p.probability).toBeCloseTo(direct.get(p.label)!, 6);
        }
        const worst = Math.max(...results.map((r, i) => delta(r, assorted[i]!, false)));
        console.log(
          `${TEST}: edge API (${name}) vs ferry predict on ${assorted.length} photos: max |Δp| = ${worst.toExponential(2)}`,
        );
        // Node and workerd decode JPEGs with `ferry predict`'s wasm libjpeg-turbo.
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'real-model-edge.png') });
      await page.close();
    } finally {
      await worker.stop();
    }
  });
});

/** The edge API's answer for a file, straight over HTTP: label -> probability. */
async function classifyDirectly(apiBase: string, file: string): Promise<Map<string, number>> {
  const res = await fetch(`${apiBase}/v1/classify?top_k=1000`, {
    method: 'POST',
    body: readFileSync(file),
    headers: { 'content-type': 'image/jpeg' },
  });
  const body = (await res.json()) as Pick<ClassifyResponse, 'predictions'>;
  if (!res.ok) throw new Error(`edge API refused ${file}: ${JSON.stringify(body)}`);
  return new Map(body.predictions.map((p) => [p.label, p.probability]));
}

/** Whether a JPEG carries an ICC profile (an APP2 "ICC_PROFILE" segment). */
function iccProfile(file: string): boolean {
  return readFileSync(file).includes('ICC_PROFILE\0', 0, 'latin1');
}
