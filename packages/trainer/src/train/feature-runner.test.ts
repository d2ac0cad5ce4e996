/**
 * The frozen extractor on onnxruntime-node must give the features tfjs gives (the feature cache
 * and the exported classifier are both built on them), reuse its converted .onnx from the cache,
 * and fall back to tfjs with one line when the backbone cannot be converted.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutBackbone } from '@ferry/model';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/index.js';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';
import { makeTinyBackbone } from '../test-support/synthetic.js';
import { createFeatureRunner, lazyFeatureRunner, tfjsFeatureRunner } from './feature-runner.js';

let root: string;
let extractor: tf.LayersModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-feature-runner-'));
  await selectBackend('wasm');
  await makeTinyBackbone(join(root, 'backbone'));
  const backbone = await loadLayersModelFromDir(tf, join(root, 'backbone', 'model.json'));
  extractor = cutBackbone(tf, backbone, 'out_relu');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Deterministic inputs in the normalized [-1, 1] range the backbones see. */
function images(n: number): Float32Array {
  return Float32Array.from({ length: n * 224 * 224 * 3 }, (_, i) => Math.sin(i * 0.0137 + (i % 7)) * 0.9);
}

describe('feature runner', () => {
  it('onnxruntime-node features agree with tfjs within 1e-4 and the .onnx is cached', async () => {
    const cacheDir = join(root, 'onnx-a');
    const logs: string[] = [];
    const o = { tf, extractor, cacheKey: 'tiny-out_relu', cacheDir, log: (m: string) => logs.push(m) };
    const ort = await createFeatureRunner(o);
    expect(ort.name).toBe('onnxruntime-node');
    expect(logs).toEqual([]);
    const input = images(3);
    const fromOrt = await ort.run(input, 3);
    const fromTfjs = await tfjsFeatureRunner(tf, extractor).run(input, 3);
    expect(fromOrt.length).toBe(3 * 16);
    expect(fromTfjs.length).toBe(3 * 16);
    // Not all zeros (a broken kernel once zeroed every feature).
    expect(Math.max(...fromTfjs)).toBeGreaterThan(0.01);
    let worst = 0;
    for (let i = 0; i < fromOrt.length; i++) worst = Math.max(worst, Math.abs(fromOrt[i]! - fromTfjs[i]!));
    expect(worst).toBeLessThan(1e-4);
    await ort.dispose();

    const files = await readdir(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^tiny-out_relu-converter[0-9a-f]{16}\.onnx$/);
    const before = (await stat(join(cacheDir, files[0]!))).mtimeMs;
    const again = await createFeatureRunner(o);
    expect(Array.from(await again.run(input, 3))).toEqual(Array.from(fromOrt));
    await again.dispose();
    expect((await stat(join(cacheDir, files[0]!))).mtimeMs).toBe(before);
  });

  it('a backbone the converter does not know falls back to tfjs with one line', async () => {
    const input = tf.input({ shape: [224, 224, 3] });
    let x = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 8, name: 'c', kernelInitializer: 'heNormal' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
    const odd = cutBackbone(tf, tf.model({ inputs: input, outputs: x }), 'out_relu');
    const logs: string[] = [];
    const runner = lazyFeatureRunner({
      tf,
      extractor: odd,
      cacheKey: 'odd',
      cacheDir: join(root, 'onnx-b'),
      log: (m) => logs.push(m),
    });
    expect(runner.name).toMatch(/none/);
    const out = await runner.run(images(2), 2);
    expect(out.length).toBe(2 * 4);
    expect(runner.name).toBe('tfjs (wasm)');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^note: backbone features on tfjs \(wasm\), onnxruntime-node not usable: .*UpSampling2D/,
    );
    await runner.run(images(1), 1);
    expect(logs).toHaveLength(1);
  });
});
