/**
 * The exporter on real weights and real photos (../shared via FERRY_MODELS_DIR and
 * FERRY_IMAGES_DIR): MobileNetV2 alpha 0.35 with a Ferry head, exactly as `ferry train` builds
 * it, and the 1000-class Darknet tiny (LeakyReLU, MaxPooling2D). tfjs on the trainer's wasm
 * backend is the reference; onnxruntime-node and onnxruntime-web must agree within 1e-4.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelSpec, type ModelSpec, softmax } from '@ferry/core';
import { haveOnnxChecker, maxAbsDiff, onnxCheckerErrors, runOrtNode, runOrtWeb } from '@ferry/fixtures/onnx';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { buildClassifier, convertLayersModelToOnnx, cutBackbone } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/index.js';
import { decodeImageFile } from '../data/decode.js';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/layers-model-io.js';
import { loadOnnxClassifier } from '../predict/onnx-classifier.js';
import { exportRunToOnnx } from './run-export.js';

const enabled =
  haveRealData('modelsDir', 'exporter real-model parity') &&
  haveRealData('imagesDir', 'exporter real-model parity');

describe.runIf(enabled)('exporter on real weights and photos', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-real-export-'));
  let tf: typeof tfTypes;
  let photos: string[];
  const checked: string[] = [];
  beforeAll(async () => {
    tf = (await selectBackend('wasm')).tf;
    const dir = realData().imagesDir!;
    photos = readdirSync(dir)
      .filter((f) => /\.jpe?g$/i.test(f))
      .map((f) => join(dir, f));
    expect(photos.length).toBeGreaterThanOrEqual(5);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Photos -> one input batch through core's preprocessing as the exported file describes it. */
  async function inputBatch(file: string, spec: ModelSpec) {
    const model = await loadOnnxClassifier(file);
    const per = spec.input.width * spec.input.height * 3;
    const data = new Float32Array(per * photos.length);
    for (const [i, photo] of photos.entries()) {
      model.classifier.preprocess((await decodeImageFile(photo)).image, data, i * per);
    }
    await model.release();
    return { data, dims: [photos.length, spec.input.height, spec.input.width, 3] };
  }

  async function expectParity(file: string, bytes: Uint8Array, spec: ModelSpec, model: tfTypes.LayersModel) {
    const input = await inputBatch(file, spec);
    const out = tf.tidy(
      () => (model.predict(tf.tensor(input.data, input.dims)) as tfTypes.Tensor).dataSync() as Float32Array,
    );
    const classes = spec.labels.length;
    // The tfjs model may end in softmax (Darknet) or in logits (Ferry heads).
    const endsInSoftmax = Math.abs(out.subarray(0, classes).reduce((a, b) => a + b, 0) - 1) < 1e-4;
    const expected = new Float32Array(out.length);
    for (let i = 0; i < photos.length; i++) {
      const row = out.subarray(i * classes, (i + 1) * classes);
      expected.set(endsInSoftmax ? row : softmax(row), i * classes);
    }
    const argmax = (a: ArrayLike<number>, i: number) => {
      const row = Array.from(a).slice(i * classes, (i + 1) * classes);
      return row.indexOf(Math.max(...row));
    };
    for (const [runtime, run] of [
      ['onnxruntime-node', runOrtNode],
      ['onnxruntime-web', runOrtWeb],
    ] as const) {
      const { probabilities } = await run(bytes, { input });
      expect(maxAbsDiff(probabilities!.data, expected), runtime).toBeLessThan(1e-4);
      for (let i = 0; i < photos.length; i++) {
        expect(argmax(probabilities!.data, i), `${runtime} ${photos[i]}`).toBe(argmax(expected, i));
      }
    }
  }

  it('MobileNetV2 0.35 + Ferry head (hidden 32): run export matches tfjs; fp16/int8 shrink it', async () => {
    const backbone = await loadLayersModelFromDir(tf, join(realData().modelsDir!, 'mobilenet_v2_0.35_224'));
    const extractor = cutBackbone(tf, backbone, 'out_relu');
    const classifier = buildClassifier(tf, extractor, {
      hiddenUnits: [32],
      dropout: 0.2,
      numClasses: 2,
      seed: 4,
    });
    const runDir = join(root, 'mobilenet');
    await saveLayersModelToDir(classifier, join(runDir, 'checkpoint'));
    const spec = createModelSpec({
      name: 'ants-bees-untrained',
      labels: ['ants', 'bees'],
      width: 224,
      height: 224,
      normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 },
      backbone: { id: 'mobilenet_v2_0.35_224', featureLayer: 'out_relu' },
      head: { type: 'dense', hiddenUnits: [32], dropout: 0.2, pooling: 'avg' },
    });
    await writeFile(join(runDir, 'spec.json'), JSON.stringify(spec));
    const fp32 = await exportRunToOnnx({ runDir });
    expect(fp32.stats.foldedBatchNorms).toBe(52);
    expect(fp32.stats.opTypes.BatchNormalization).toBeUndefined();
    await expectParity(fp32.path, await readFile(fp32.path), spec, classifier);
    checked.push(fp32.path);

    const sizes = { fp32: fp32.bytes } as Record<string, number>;
    for (const precision of ['fp16', 'int8'] as const) {
      const r = await exportRunToOnnx({ runDir, precision, out: join(runDir, `model.${precision}.onnx`) });
      sizes[precision] = r.bytes;
      checked.push(r.path);
    }
    console.log(`MobileNetV2 0.35 + head export sizes (bytes): ${JSON.stringify(sizes)}`);
    expect(sizes.fp16! / sizes.fp32!).toBeLessThan(0.55);
    expect(sizes.int8! / sizes.fp32!).toBeLessThan(0.35);
    classifier.dispose();
  });

  it('Darknet tiny (1000 classes, LeakyReLU, MaxPooling2D) matches tfjs', async () => {
    const model = await loadLayersModelFromDir(tf, join(realData().modelsDir!, 'darknet_tiny'));
    const classes = (model.outputs[0]!.shape as number[])[1]!;
    expect(classes).toBe(1000);
    const spec = createModelSpec({
      name: 'darknet-tiny',
      labels: Array.from({ length: classes }, (_, i) => `imagenet_${i}`),
      width: 224,
      height: 224,
      normalization: { kind: 'scale', scale: 1 / 255, offset: 0 },
    });
    const { bytes, stats } = convertLayersModelToOnnx(model, { spec });
    expect(stats.opTypes.LeakyRelu).toBeGreaterThan(0);
    expect(stats.opTypes.MaxPool).toBeGreaterThan(0);
    const file = join(root, 'darknet.onnx');
    await writeFile(file, bytes);
    checked.push(file);
    await expectParity(file, bytes, spec, model);
    model.dispose();
  });

  it.runIf(haveOnnxChecker('onnx.checker on real exports'))(
    'all real exports pass onnx.checker full_check',
    () => {
      expect(checked.length).toBe(4);
      expect(onnxCheckerErrors(checked)).toEqual({ errors: {}, tooNew: [] });
    },
  );
});
