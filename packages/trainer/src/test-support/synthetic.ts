/**
 * Data the tests make themselves: photo-like JPEGs whose class is visible (colour and stripe
 * direction), the classic bad files, and a tiny random-weight backbone with MobileNet-like
 * layers, so trainer tests pass on a fresh clone without ../shared.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRandom } from '@ferry/core';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { saveLayersModelToDir } from '../io/layers-model-io.js';

/** A JPEG for class `label` (0: warm horizontal stripes, 1: cool vertical, 2: green checks). */
export async function syntheticJpeg(label: number, seed: number, width = 160, height = 120): Promise<Buffer> {
  const random = createRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  const period = 8 + random.int(0, 8);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe =
        label === 0
          ? Math.floor(y / period) % 2
          : label === 1
            ? Math.floor(x / period) % 2
            : (Math.floor(x / period) + Math.floor(y / period)) % 2;
      const base = label === 0 ? [200, 90, 40] : label === 1 ? [40, 90, 200] : [60, 180, 70];
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = base[c]! * (stripe ? 1 : 0.55) + random.uniform(-25, 25);
        data[i + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** DIR/<label>/img_<i>.jpg for each class. */
export async function makeImageFolder(
  dir: string,
  labels: string[],
  perClass: number,
  seed = 1,
): Promise<void> {
  for (const [li, label] of labels.entries()) {
    await mkdir(join(dir, label), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await writeFile(
        join(dir, label, `img_${String(i).padStart(3, '0')}.jpg`),
        await syntheticJpeg(li, seed * 1000 + li * 100 + i),
      );
    }
  }
}

/** The bad files every loader must survive: name -> bytes. */
export async function badFiles(): Promise<Record<string, Buffer>> {
  const good = await syntheticJpeg(0, 99);
  return {
    'truncated.jpg': good.subarray(0, Math.floor(good.length / 2)),
    'empty.jpg': Buffer.alloc(0),
    'notes.jpg': Buffer.from('this is a text file, not a photo\n'),
  };
}

/**
 * A tiny backbone: Conv (stride 4, valid) + BatchNorm + ReLU6, depthwise conv (stride 2) + BN, 1x1 conv,
 * ending in a layer named `out_relu` like Keras MobileNetV2. Random weights, 224x224 input.
 */
export async function makeTinyBackbone(dir: string, seed = 7): Promise<void> {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 4,
      // 'valid', not 'same': tfjs-backend-wasm 4.22 returns all zeros for a 'same' conv whose
      // stride exceeds its kernel (3x3 stride 4), which silently zeroed every feature.
      padding: 'valid',
      useBias: false,
      name: 'Conv1',
      kernelInitializer: tf.initializers.heNormal({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn_Conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      name: 'dw',
      depthwiseInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters: 16,
      kernelSize: 1,
      name: 'Conv_1',
      kernelInitializer: tf.initializers.heNormal({ seed: seed + 2 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  await saveLayersModelToDir(model, dir);
  model.dispose();
}
