/**
 * A whole run directory through `exportRunToOnnx`, as `ferry train` leaves it: the file carries
 * its spec, runs in onnxruntime-node and onnxruntime-web with the trainer's tfjs numbers, and
 * every kind of broken run is a clear ExportError that leaves no output behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelSpec, readModelSpecFromOnnx, softmax } from '@ferry/core';
import { haveOnnxChecker, maxAbsDiff, onnxCheckerErrors, runOrtNode, runOrtWeb } from '@ferry/fixtures/onnx';
import { ExportError } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/layers-model-io.js';
import { loadOnnxClassifier } from '../predict/onnx-classifier.js';
import { createTinyRun } from '../test-support/index.js';
import { exportRunToOnnx, loadTfForExport } from './run-export.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-run-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const labels = ['cat', 'dog', 'fox'];

/** Three photo-like images of different sizes: gradients plus noise, not flat fields. */
function testImages() {
  return [
    [48, 40],
    [31, 57],
    [64, 64],
  ].map(([w, h], k) => {
    const data = new Uint8Array(w! * h! * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * (7 + k) + ((i * i) % 251) + k * 40) % 256;
    return { width: w!, height: h!, channels: 3 as const, data };
  });
}

let tf: typeof tfTypes;
beforeAll(async () => {
  tf = await loadTfForExport();
});

describe('exportRunToOnnx on a tiny run', () => {
  let runDir: string;
  let file: string;
  let bytes: Uint8Array;
  beforeAll(async () => {
    runDir = join(root, 'tiny');
    await createTinyRun(runDir, { labels, seed: 3 });
    const result = await exportRunToOnnx({ runDir });
    file = result.path;
    bytes = readFileSync(file);
    expect(file).toBe(join(runDir, 'model.onnx'));
    expect(result.bytes).toBe(bytes.byteLength);
    expect(result.stats.foldedBatchNorms).toBe(1);
  });

  it('embeds the run spec: readModelSpecFromOnnx gives back spec.json', async () => {
    const spec = JSON.parse(await readFile(join(runDir, 'spec.json'), 'utf8'));
    expect(readModelSpecFromOnnx(bytes)).toEqual(spec);
  });

  it('onnxruntime-node and onnxruntime-web match the tfjs checkpoint (logits, probabilities, top-1), batch of 3', async () => {
    const model = await loadOnnxClassifier(file);
    const { width, height } = model.spec.input;
    const images = testImages();
    const batch = new Float32Array(images.length * width * height * 3);
    images.forEach((img, i) => model.classifier.preprocess(img, batch, i * width * height * 3));
    await model.release();
    const dims = [images.length, height, width, 3];
    const checkpoint = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
    const logits = tf.tidy(() => (checkpoint.predict(tf.tensor(batch, dims)) as tfTypes.Tensor).dataSync());
    checkpoint.dispose();
    const probabilities = images.flatMap((_, i) => Array.from(softmax(logits.subarray(i * 3, i * 3 + 3))));
    for (const run of [runOrtNode, runOrtWeb]) {
      const out = await run(bytes, { input: { data: batch, dims } });
      expect(out.logits!.dims).toEqual([3, 3]);
      expect(maxAbsDiff(out.logits!.data, logits)).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.probabilities!.data, probabilities)).toBeLessThan(1e-4);
      for (let i = 0; i < images.length; i++) {
        const top = (a: ArrayLike<number>) => {
          const row = Array.from(a).slice(i * 3, i * 3 + 3);
          return row.indexOf(Math.max(...row));
        };
        expect(top(out.probabilities!.data)).toBe(top(probabilities));
      }
    }
  });

  it.runIf(haveOnnxChecker('onnx.checker on run exports'))(
    'passes onnx.checker full_check, also at fp16/int8 and opset 13',
    async () => {
      const files = [file];
      for (const [precision, opset] of [
        ['fp16', 17],
        ['int8', 17],
        ['fp32', 13],
      ] as const) {
        const out = join(runDir, `model-${precision}-${opset}.onnx`);
        await exportRunToOnnx({ runDir, out, precision, opset });
        files.push(out);
      }
      expect(onnxCheckerErrors(files)).toEqual({ errors: {}, tooNew: [] });
    },
  );

  it('fp16 and int8 files are smaller and agree on top-1', async () => {
    const sizes: Record<string, number> = {};
    const tops: Record<string, string[]> = {};
    for (const precision of ['fp32', 'fp16', 'int8'] as const) {
      const out = join(runDir, `p-${precision}.onnx`);
      sizes[precision] = (await exportRunToOnnx({ runDir, out, precision })).bytes;
      const model = await loadOnnxClassifier(out);
      tops[precision] = (await model.classifier.classifyBatch(testImages())).map(
        (c) => c.predictions[0]!.label,
      );
      await model.release();
    }
    expect(sizes.fp16!).toBeLessThan(sizes.fp32!);
    // (On a model this small int8's per-channel scales outweigh the fp16 saving; the real-data
    // test measures MobileNetV2, where int8 is about a third of fp32.)
    expect(sizes.int8!).toBeLessThan(sizes.fp32!);
    expect(tops.fp16).toEqual(tops.fp32);
    expect(tops.int8).toEqual(tops.fp32);
  });
});

describe('broken runs: a clear ExportError and no output file', () => {
  async function expectRefused(runDir: string, message: RegExp) {
    const out = join(runDir, 'out.onnx');
    const error = await exportRunToOnnx({ runDir, out }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(out)).toBe(false);
    // Nor a temp file left beside it.
    expect(readdirSync(runDir).filter((f) => f.includes('out.onnx'))).toEqual([]);
  }

  async function freshRun(name: string) {
    const runDir = join(root, name);
    await createTinyRun(runDir, { labels, seed: 5 });
    return runDir;
  }

  it('not a run directory (no spec.json)', async () => {
    const dir = join(root, 'empty');
    await mkdir(dir, { recursive: true });
    await expectRefused(dir, /spec\.json does not exist.*ferry train/);
  });

  it('spec.json is not JSON / not a valid spec', async () => {
    const runDir = await freshRun('bad-spec');
    await writeFile(join(runDir, 'spec.json'), '{"format": "ferry.model-spec",');
    await expectRefused(runDir, /spec\.json is not valid JSON/);
    await writeFile(join(runDir, 'spec.json'), JSON.stringify({ format: 'ferry.model-spec', version: 1 }));
    await expectRefused(runDir, /spec\.json: .*name/);
  });

  it('truncated model.json', async () => {
    const runDir = await freshRun('truncated');
    const path = join(runDir, 'checkpoint', 'model.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length / 2));
    await expectRefused(runDir, /model\.json/);
  });

  it('missing weight shard', async () => {
    const runDir = await freshRun('no-shard');
    const dir = join(runDir, 'checkpoint');
    for (const f of readdirSync(dir)) if (f !== 'model.json') rmSync(join(dir, f));
    await expectRefused(runDir, /weight|shard|bin/i);
  });

  it('labels in the spec do not match the model outputs', async () => {
    const runDir = await freshRun('labels');
    const spec = JSON.parse(await readFile(join(runDir, 'spec.json'), 'utf8'));
    spec.labels = ['only', 'two'];
    await writeFile(join(runDir, 'spec.json'), JSON.stringify(spec));
    await expectRefused(runDir, /outputs 3 classes but the spec lists 2 labels/);
  });

  it('an unsupported layer is named, and an existing output file is left untouched', async () => {
    const runDir = join(root, 'unsupported');
    const input = tf.input({ shape: [16, 16, 3] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'grow' }).apply(input) as tfTypes.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(up) as tfTypes.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 3 }).apply(pooled) as tfTypes.SymbolicTensor,
    });
    await saveLayersModelToDir(model, join(runDir, 'checkpoint'));
    const spec = createModelSpec({
      name: 'up',
      labels,
      width: 16,
      height: 16,
      normalization: { kind: 'scale', scale: 1 / 255, offset: 0 },
    });
    writeFileSync(join(runDir, 'spec.json'), JSON.stringify(spec));
    const out = join(runDir, 'model.onnx');
    writeFileSync(out, 'previous export');
    const error = await exportRunToOnnx({ runDir }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/UpSampling2D.*grow|grow.*UpSampling2D/);
    expect(readFileSync(out, 'utf8')).toBe('previous export');
  });

  it('unknown precision, format and opset', async () => {
    const runDir = await freshRun('options');
    await expect(exportRunToOnnx({ runDir, precision: 'int4' as never })).rejects.toThrow(
      /unknown precision "int4"/,
    );
    await expect(exportRunToOnnx({ runDir, format: 'tflite' as never })).rejects.toThrow(
      /unknown format "tflite"/,
    );
    await expect(exportRunToOnnx({ runDir, opset: 9 })).rejects.toThrow(/opset 9 is not supported/);
  });
});

describe('--format hf', () => {
  it.each([
    ['without', undefined],
    ['with', 'knn-cosine'],
  ] as const)(
    'transformers.js loads the folder (%s open set) offline and gives the same probabilities as onnxruntime-node + core',
    async (_, openSet) => {
      const runDir = join(root, `hf-run-${openSet ?? 'plain'}`);
      await createTinyRun(runDir, { labels, seed: 11, size: 32, ...(openSet ? { openSet } : {}) });
      const result = await exportRunToOnnx({ runDir, format: 'hf' });
      expect(result.path).toBe(join(runDir, 'hf'));
      const config = JSON.parse(await readFile(join(result.path, 'config.json'), 'utf8'));
      expect(config.id2label).toEqual({ 0: 'cat', 1: 'dog', 2: 'fox' });
      expect(config.label2id).toEqual({ cat: 0, dog: 1, fox: 2 });
      expect(readdirSync(join(runDir))).not.toContain('.hf.tmp');

      // Flat colours: every resize implementation agrees on them, so any difference is the model.
      const colours: Array<[number, number, number]> = [
        [230, 40, 30],
        [20, 160, 220],
        [250, 250, 250],
      ];
      const files = await Promise.all(
        colours.map(async ([r, g, b], i) => {
          const path = join(root, `colour-${i}.png`);
          await sharp({ create: { width: 50, height: 40, channels: 3, background: { r, g, b } } })
            .png()
            .toFile(path);
          return path;
        }),
      );

      const { env, pipeline } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = `${runDir}/`;
      const classify = await pipeline('image-classification', 'hf', { dtype: 'fp32', device: 'cpu' });
      const ours = await loadOnnxClassifier(result.modelPath);
      for (const [i, path] of files.entries()) {
        const hf = (await classify(path, { top_k: 3 })) as Array<{ label: string; score: number }>;
        const [r, g, b] = colours[i]!;
        const flat = new Uint8Array(50 * 40 * 3).map((_, k) => [r, g, b][k % 3]!);
        const mine = await ours.classifier.classify(
          { width: 50, height: 40, channels: 3, data: flat },
          { topK: 3 },
        );
        expect(hf.map((p) => p.label)).toEqual(mine.predictions.map((p) => p.label));
        // transformers.js reads the logits (softmax at T = 1); an open-set model reports
        // softmax(logits / T), so undo the temperature: softmax(T * log p) = softmax(logits).
        const T = ours.spec.openSet?.temperature ?? 1;
        const plain = softmax(Float32Array.from(mine.probabilities, (p) => T * Math.log(p)));
        for (const [k, p] of hf.entries())
          expect(p.score).toBeCloseTo(plain[labels.indexOf(mine.predictions[k]!.label)]!, 4);
        if (openSet) expect(typeof mine.oodScore).toBe('number');
      }
      await ours.release();
      await classify.dispose();
    },
  );

  it('refuses an eval pipeline transformers.js cannot express', async () => {
    const runDir = join(root, 'hf-square');
    await createTinyRun(runDir, { labels, seed: 2 });
    const spec = JSON.parse(await readFile(join(runDir, 'spec.json'), 'utf8'));
    spec.preprocess = [{ op: 'squareCrop' }, { op: 'resize', width: 32, height: 32 }];
    await writeFile(join(runDir, 'spec.json'), JSON.stringify(spec));
    await expect(exportRunToOnnx({ runDir, format: 'hf' })).rejects.toThrow(
      /cannot express the eval pipeline squareCrop -> resize/,
    );
    expect(existsSync(join(runDir, 'hf'))).toBe(false);
  });
});
