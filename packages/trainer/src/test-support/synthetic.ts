/**
 * Data the trainer's tests make themselves: photo-like JPEGs whose class is visible (colour and
 * stripe direction; made by the synthetic-photo maker every package's tests share), the classic
 * bad files, and a tiny random-weight backbone with MobileNet-like layers, so trainer tests pass
 * on a fresh clone without ../shared.
 */
import * as tf from '@tensorflow/tfjs';
import { saveLayersModelToDir } from '../io/layers-model-io.js';
import { syntheticJpeg } from './synthetic-photos.js';

export { makeImageFolder, syntheticJpeg } from './synthetic-photos.js';

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
