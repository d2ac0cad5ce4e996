/**
 * `@ferry/trainer/testing`, test support for every package that needs a model the trainer made:
 * a run directory holding a tiny random-weight classifier with a valid spec (exactly what
 * `ferry train` writes, made in well under a second without real data), the same exported to
 * ONNX, the real-data model (MobileNetV2 0.35 with an ants/bees head), `ferryPredict` (the real
 * `ferry predict` CLI's answers) and the synthetic photos every package's tests make (seeded by
 * core's createRandom, so they cannot live in @ferry/fixtures, which core's tests use). Helpers
 * that need neither the trainer nor core live in `@ferry/fixtures`.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelSpec, type ModelSpec, type OpenSetMethod } from '@ferry/core';
import { fitOpenSet } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { exportRunToOnnx, loadTfForExport } from '../export/run-export.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { saveLayersModelToDir } from '../io/layers-model-io.js';
import { writeOpenSetParams } from '../ood/store.js';
import { train } from '../train/train.js';

export { ferryPredict, type PredictAnswer } from './ferry-predict-cli.js';
export { makeTinyBackbone } from './synthetic.js';
export {
  decodableSamples,
  makeImageFolder,
  photo,
  photoPixels,
  type Sample,
  syntheticJpeg,
  syntheticPhotos,
} from './synthetic-photos.js';

export interface TinyRunOptions {
  labels: string[];
  seed?: number;
  /** Square input size in pixels (default 32). */
  size?: number;
  name?: string;
  /**
   * Fit an open-set answer with this method, as `ferry train` does, on the pooled features of
   * seeded random "photos" (default: none, i.e. a model from before open-set support).
   */
  openSet?: OpenSetMethod;
  /** false: a spec without the decode rule, i.e. a model file exported before it (full-size decodes). */
  decodeRule?: false;
}

export interface TinyRun {
  runDir: string;
  spec: ModelSpec;
}

export async function createTinyRun(runDir: string, options: TinyRunOptions): Promise<TinyRun> {
  const tf = await loadTfForExport();
  const size = options.size ?? 32;
  const seed = options.seed ?? 1;
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 100 + offset });
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  let x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(1),
      name: 'conv1',
    })
    .apply(input) as tfTypes.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfTypes.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'relu1' }).apply(x) as tfTypes.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(2), name: 'dw2' })
    .apply(x) as tfTypes.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: init(3), name: 'pw2' })
    .apply(x) as tfTypes.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'ferry_pool' }).apply(x) as tfTypes.SymbolicTensor;
  const logits = tf.layers
    .dense({
      units: options.labels.length,
      kernelInitializer: init(4),
      biasInitializer: 'zeros',
      name: 'ferry_logits',
    })
    .apply(x) as tfTypes.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: 'ferry_tiny' });
  // Non-trivial BatchNorm statistics so the exporter's folding is exercised for real.
  const bn = model.getLayer('bn1');
  const rnd = (n: number, lo: number, hi: number, s: number) =>
    tf.randomUniform([n], lo, hi, 'float32', seed * 1000 + s);
  bn.setWeights([rnd(8, 0.5, 1.5, 1), rnd(8, -0.2, 0.2, 2), rnd(8, -0.3, 0.3, 3), rnd(8, 0.5, 2, 4)]);
  const spec = createModelSpec({
    name: options.name ?? 'tiny',
    labels: options.labels,
    width: size,
    height: size,
    normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 },
    training: { mode: 'features', seed, valAccuracy: 0, ferryVersion: 'test' },
    ...(options.decodeRule === false ? { decode: null } : {}),
  });
  await mkdir(join(runDir, 'checkpoint'), { recursive: true });
  if (options.openSet) {
    // Train and val "photos": seeded noise, labels round-robin; features and logits from the model.
    const pooledModel = tf.model({ inputs: input, outputs: [x, logits] });
    const photos = (n: number, s: number) => {
      // A colour per photo plus texture: plain noise pools to near-identical features.
      const t = tf.tidy(() =>
        tf
          .randomUniform([n, 1, 1, 3], -0.9, 0.9, 'float32', seed * 7 + s)
          .add(tf.randomUniform([n, size, size, 3], -0.1, 0.1, 'float32', seed * 11 + s)),
      );
      const [f, l] = pooledModel.predict(t) as tfTypes.Tensor[];
      const out = {
        features: { data: f!.dataSync() as Float32Array, rows: n, dim: f!.shape[1] as number },
        logits: l!.arraySync() as number[][],
        labels: Array.from({ length: n }, (_, i) => i % options.labels.length),
      };
      tf.dispose([t, f!, l!]);
      return out;
    };
    const tr = photos(24, 1);
    const va = photos(20, 2);
    const fit = fitOpenSet({
      train: tr.features,
      trainLabels: tr.labels,
      classes: options.labels.length,
      val: va.features,
      valLogits: va.logits,
      valLabels: va.labels,
      method: options.openSet,
    });
    await writeOpenSetParams(runDir, fit.params);
    spec.openSet = fit.spec;
  }
  await saveLayersModelToDir(model, join(runDir, 'checkpoint'));
  await writeFileAtomic(join(runDir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  model.dispose();
  return { runDir, spec };
}

/**
 * A tiny run exported by the real exporter into `dir`: the path of its model.onnx, exactly the
 * kind of file `ferry export` writes.
 */
export async function exportTinyModel(dir: string, options: TinyRunOptions): Promise<string> {
  const runDir = join(dir, `tiny-run-${options.name ?? 'tiny'}-${options.seed ?? 1}`);
  await createTinyRun(runDir, options);
  const { path } = await exportRunToOnnx({ runDir, out: join(runDir, 'model.onnx') });
  return path;
}

/**
 * The real-data model: MobileNetV2 0.35 (from FERRY_MODELS_DIR) with an ants/bees head trained
 * for a few cheap features-mode epochs (features cached under FERRY_CACHE_DIR) and exported by
 * the exporter: the same path as `ferry train` + `ferry export`. Returns the model.onnx path.
 */
export async function trainRealModel(
  hymenopteraDir: string,
  out = join(mkdtempSync(join(tmpdir(), 'ferry-real-model-')), 'run'),
): Promise<string> {
  const { runDir } = await train({
    data: hymenopteraDir,
    out,
    backbone: 'mobilenet_v2_0.35_224',
    mode: 'features',
    epochs: 8,
    augViews: 0,
    backend: 'wasm',
    // Exported below, not by train(): train() turns an export failure into a warning line, and
    // a test should fail with the exporter's own message instead.
    exportOnnx: false,
    report: false,
    seed: 1,
  });
  const result = await exportRunToOnnx({ runDir, out: join(runDir, 'model.onnx') });
  return result.path;
}
