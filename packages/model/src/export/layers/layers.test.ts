/**
 * One small random-weight model per layer mapping: tfjs (the reference) and onnxruntime-node
 * must agree, and every file must pass python3-onnx's full checker. Shapes are odd on purpose
 * (TF `same` padding is asymmetric there) and batch is 2 (the batch dimension is dynamic).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  haveOnnxChecker,
  maxAbsDiff,
  onnxCheckerErrors,
  runOrtNode,
  seededFloats,
} from '@ferry/fixtures/onnx';
import * as tfjs from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModelToOnnx, ExportError } from '../convert.js';
import { UnsupportedLayerError } from './types.js';

type Tf = typeof tfjs;
type Sym = tfjs.SymbolicTensor;
type Build = (tf: Tf, x: Sym) => Sym;

let tf: Tf;
const dir = mkdtempSync(join(tmpdir(), 'ferry-layers-'));
const written: string[] = [];

beforeAll(async () => {
  // tfjs' own CPU kernels are the reference (`ferry export` reads weights the same way).
  tfjs.env().set('PROD', true);
  await tfjs.ready();
  tf = tfjs;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every weight random; BatchNorm variances positive so folding sees real statistics. */
function randomizeWeights(model: tfjs.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[]; // weights always have concrete shapes
      const n = shape.reduce((a, b) => a * b, 1);
      const variance = /moving_variance/.test(w.originalName ?? w.name);
      return tf.tensor(seededFloats(n, ++s, variance ? 0.5 : -0.5, variance ? 1.5 : 0.5), shape);
    });
    if (values.length > 0) layer.setWeights(values);
  }
}

function buildModel(inputShape: [number, number, number], build: Build, seed = 7): tfjs.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'image' });
  const model = tf.model({ inputs: input, outputs: build(tf, input) });
  randomizeWeights(model, seed);
  return model;
}

/** Converts, runs both runtimes on the same batch, returns the worst difference (scaled to the output's range). */
async function parity(
  name: string,
  model: tfjs.LayersModel,
  options: { opset?: number; precision?: 'fp32' | 'fp16' | 'int8' } = {},
) {
  const { bytes, stats } = convertLayersModelToOnnx(model, { kind: 'features', ...options });
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, bytes);
  written.push(file);
  const [h, w] = model.inputs[0]!.shape.slice(1) as [number, number];
  const dims = [2, h, w, 3];
  const data = seededFloats(2 * h * w * 3, 99);
  const expected = tf.tidy(() => (model.predict(tf.tensor(data, dims)) as tfjs.Tensor).dataSync());
  const { features } = await runOrtNode(bytes, { input: { data, dims } });
  expect(features!.dims).toEqual(model.outputs[0]!.shape.map((d, i) => (i === 0 ? 2 : d)));
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  return { diff: maxAbsDiff(features!.data, expected) / scale, stats, bytes };
}

const conv = (tf: Tf, o: Partial<Parameters<Tf['layers']['conv2d']>[0]> = {}) =>
  tf.layers.conv2d({ filters: 5, kernelSize: 3, ...o });

const CASES: Record<string, { shape: [number, number, number]; build: Build }> = {
  'Conv2D valid, bias, relu': {
    shape: [8, 9, 3],
    build: (tf, x) => conv(tf, { activation: 'relu' }).apply(x) as Sym,
  },
  'Conv2D same stride 2, odd input, no bias': {
    shape: [9, 11, 3],
    build: (tf, x) => conv(tf, { strides: 2, padding: 'same', useBias: false }).apply(x) as Sym,
  },
  'Conv2D same 4x4 stride 3 (asymmetric pads), swish': {
    shape: [10, 7, 3],
    build: (tf, x) =>
      conv(tf, { kernelSize: 4, strides: 3, padding: 'same', activation: 'swish' }).apply(x) as Sym,
  },
  'Conv2D same dilation 2': {
    shape: [9, 9, 3],
    build: (tf, x) => conv(tf, { padding: 'same', dilationRate: 2 }).apply(x) as Sym,
  },
  'Conv2D 1x1 stride 2 valid': {
    shape: [7, 7, 3],
    build: (tf, x) => conv(tf, { kernelSize: 1, strides: 2 }).apply(x) as Sym,
  },
  'DepthwiseConv2D same stride 2, depth multiplier 2': {
    shape: [9, 10, 3],
    build: (tf, x) =>
      tf.layers
        .depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 })
        .apply(x) as Sym,
  },
  'DepthwiseConv2D valid relu6 activation': {
    shape: [8, 8, 3],
    build: (tf, x) => tf.layers.depthwiseConv2d({ kernelSize: 3, activation: 'relu6' }).apply(x) as Sym,
  },
  'SeparableConv2D same, relu': {
    shape: [9, 9, 3],
    build: (tf, x) =>
      tf.layers
        .separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' })
        .apply(x) as Sym,
  },
  'SeparableConv2D stride 2 valid, depth multiplier 2': {
    shape: [11, 9, 3],
    build: (tf, x) =>
      tf.layers
        .separableConv2d({ filters: 4, kernelSize: 3, strides: 2, depthMultiplier: 2 })
        .apply(x) as Sym,
  },
  'BatchNormalization after Conv2D (folded)': {
    shape: [8, 8, 3],
    build: (tf, x) => tf.layers.batchNormalization().apply(conv(tf, { padding: 'same' }).apply(x)) as Sym,
  },
  'BatchNormalization after DepthwiseConv2D (folded)': {
    shape: [8, 8, 3],
    build: (tf, x) =>
      tf.layers
        .batchNormalization({ epsilon: 1e-3 })
        .apply(tf.layers.depthwiseConv2d({ kernelSize: 3, useBias: false }).apply(x)) as Sym,
  },
  'BatchNormalization on the input (not foldable)': {
    shape: [6, 7, 3],
    build: (tf, x) => tf.layers.batchNormalization({ center: false }).apply(x) as Sym,
  },
  'BatchNormalization feeding two branches (not foldable)': {
    shape: [6, 6, 3],
    build: (tf, x) => {
      const c = conv(tf, { padding: 'same' }).apply(x) as Sym;
      const n = tf.layers.batchNormalization().apply(c) as Sym;
      return tf.layers.add().apply([n, c]) as Sym;
    },
  },
  'ReLU max_value 6': {
    shape: [5, 5, 3],
    build: (tf, x) => tf.layers.reLU({ maxValue: 6 }).apply(conv(tf).apply(x)) as Sym,
  },
  ReLU: { shape: [5, 5, 3], build: (tf, x) => tf.layers.reLU().apply(x) as Sym },
  'LeakyReLU alpha 0.1': {
    shape: [5, 6, 3],
    build: (tf, x) => tf.layers.leakyReLU({ alpha: 0.1 }).apply(conv(tf).apply(x)) as Sym,
  },
  'ZeroPadding2D asymmetric then Conv2D valid (pad folded)': {
    shape: [7, 8, 3],
    build: (tf, x) =>
      conv(tf).apply(
        tf.layers
          .zeroPadding2d({
            padding: [
              [1, 2],
              [0, 3],
            ],
          })
          .apply(x),
      ) as Sym,
  },
  // onnxruntime's PadFusion would fold this zero pad into MaxPool's -inf pads (see guard-pad-max-pool.ts).
  'ZeroPadding2D then MaxPooling2D (pad kept)': {
    shape: [7, 7, 3],
    build: (tf, x) =>
      tf.layers.maxPooling2d({ poolSize: 2 }).apply(tf.layers.zeroPadding2d({ padding: 1 }).apply(x)) as Sym,
  },
  'MaxPooling2D same 3x3 stride 2': {
    shape: [9, 10, 3],
    build: (tf, x) => tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as Sym,
  },
  'MaxPooling2D valid 2x2': {
    shape: [9, 8, 3],
    build: (tf, x) => tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as Sym,
  },
  'AveragePooling2D same 3x3 stride 2 (edges average real pixels only)': {
    shape: [9, 10, 3],
    build: (tf, x) =>
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as Sym,
  },
  'AveragePooling2D valid 2x2': {
    shape: [8, 9, 3],
    build: (tf, x) => tf.layers.averagePooling2d({ poolSize: 2 }).apply(x) as Sym,
  },
  GlobalAveragePooling2D: {
    shape: [7, 9, 3],
    build: (tf, x) => tf.layers.globalAveragePooling2d({}).apply(conv(tf).apply(x)) as Sym,
  },
  GlobalMaxPooling2D: {
    shape: [7, 9, 3],
    build: (tf, x) => tf.layers.globalMaxPooling2d({}).apply(conv(tf).apply(x)) as Sym,
  },
  'Flatten then Dense (NHWC flatten order)': {
    shape: [4, 5, 3],
    build: (tf, x) =>
      tf.layers.dense({ units: 4 }).apply(tf.layers.flatten().apply(conv(tf).apply(x))) as Sym,
  },
  'Reshape then Dense': {
    shape: [4, 4, 3],
    build: (tf, x) =>
      tf.layers
        .dense({ units: 3, activation: 'tanh' })
        .apply(tf.layers.reshape({ targetShape: [48] }).apply(x)) as Sym,
  },
  'Reshape to 3-D': {
    shape: [4, 6, 3],
    build: (tf, x) =>
      tf.layers
        .reshape({ targetShape: [8, 9] })
        .apply(conv(tf, { filters: 3, padding: 'same' }).apply(x)) as Sym,
  },
  'Dense with softmax activation, no bias': {
    shape: [3, 3, 3],
    build: (tf, x) =>
      tf.layers
        .dense({ units: 5, activation: 'softmax', useBias: false })
        .apply(tf.layers.flatten().apply(x)) as Sym,
  },
  'Dropout (removed) and Softmax layer': {
    shape: [3, 3, 3],
    build: (tf, x) =>
      tf.layers
        .softmax()
        .apply(
          tf.layers
            .dropout({ rate: 0.5 })
            .apply(tf.layers.dense({ units: 4 }).apply(tf.layers.flatten().apply(x))),
        ) as Sym,
  },
  'Add, Multiply, Maximum, Average of two branches': {
    shape: [6, 7, 3],
    build: (tf, x) => {
      const a = conv(tf, { padding: 'same' }).apply(x) as Sym;
      const b = conv(tf, { padding: 'same' }).apply(x) as Sym;
      const sum = tf.layers.add().apply([a, b]) as Sym;
      const prod = tf.layers.multiply().apply([sum, a]) as Sym;
      const max = tf.layers.maximum().apply([prod, b]) as Sym;
      return tf.layers.average().apply([max, a, b]) as Sym;
    },
  },
  'Concatenate on channels': {
    shape: [6, 5, 3],
    build: (tf, x) =>
      tf.layers.concatenate({ axis: -1 }).apply([conv(tf, { padding: 'same' }).apply(x) as Sym, x]) as Sym,
  },
  'Rescaling (x/127.5 - 1)': {
    shape: [4, 4, 3],
    build: (tf, x) => tf.layers.rescaling({ scale: 1 / 127.5, offset: -1 }).apply(x) as Sym,
  },
  'nested Sequential inside a functional model': {
    shape: [8, 8, 3],
    build: (tf, x) => {
      const inner = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same' }),
          tf.layers.batchNormalization(),
          tf.layers.reLU({ maxValue: 6 }),
        ],
      });
      return tf.layers.globalAveragePooling2d({}).apply(inner.apply(x) as Sym) as Sym;
    },
  },
};

const ACTIVATIONS = [
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'swish',
  'mish',
  'linear',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'gelu',
] as const;

describe('layer mappings: tfjs vs onnxruntime-node', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const model = buildModel(c.shape, c.build);
      const { diff, stats } = await parity(name.replace(/\W+/g, '-'), model);
      expect(diff).toBeLessThan(1e-4);
      if (name.includes('(folded)')) expect(stats.foldedBatchNorms).toBe(1);
      if (name.includes('(not foldable)')) expect(stats.opTypes.BatchNormalization).toBe(1);
      if (name.includes('(pad folded)')) expect(stats.opTypes.Pad).toBeUndefined();
      if (name.includes('(pad kept)')) expect(stats.opTypes.Pad).toBe(1);
      if (name.startsWith('Dropout')) expect(stats.opTypes.Dropout).toBeUndefined();
      model.dispose();
    });
  }

  it('Activation layer: every supported activation', async () => {
    for (const activation of ACTIVATIONS) {
      const model = buildModel(
        [4, 5, 3],
        (tf, x) => tf.layers.activation({ activation: activation as never }).apply(conv(tf).apply(x)) as Sym,
      );
      const { diff } = await parity(`activation-${activation}`, model);
      expect(diff, activation).toBeLessThan(1e-4);
      model.dispose();
    }
  });

  it('opsets 13 and 21 give the same numbers', async () => {
    const model = buildModel(
      CASES['SeparableConv2D same, relu']!.shape,
      CASES['SeparableConv2D same, relu']!.build,
    );
    for (const opset of [13, 21])
      expect((await parity(`opset-${opset}`, model, { opset })).diff).toBeLessThan(1e-4);
    expect(() => convertLayersModelToOnnx(model, { kind: 'features', opset: 12 })).toThrow(
      /opset 12 is not supported/,
    );
    model.dispose();
  });

  it('fp16 and int8 weights shrink the file and stay close', async () => {
    const model = buildModel([16, 16, 3], (tf, x) => {
      const c = tf.layers
        .conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' })
        .apply(x) as Sym;
      const d = tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same' }).apply(c) as Sym;
      return tf.layers.globalAveragePooling2d({}).apply(d) as Sym;
    });
    const fp32 = await parity('precision-fp32', model);
    const fp16 = await parity('precision-fp16', model, { precision: 'fp16' });
    const int8 = await parity('precision-int8', model, { precision: 'int8' });
    expect(fp16.bytes.byteLength).toBeLessThan(fp32.bytes.byteLength * 0.55);
    expect(int8.bytes.byteLength).toBeLessThan(fp32.bytes.byteLength * 0.3);
    expect(fp16.diff).toBeLessThan(1e-2);
    expect(int8.diff).toBeLessThan(5e-2);
    expect(fp16.diff).toBeGreaterThan(0); // the weights really changed precision
    model.dispose();
  });

  it('an unsupported layer is a clear error naming the layer, its class and its configuration', () => {
    const model = buildModel(
      [4, 4, 3],
      (tf, x) => tf.layers.upSampling2d({ size: [2, 2], name: 'my_upsample' }).apply(x) as Sym,
    );
    let error: unknown;
    try {
      convertLayersModelToOnnx(model, { kind: 'features' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedLayerError);
    const message = (error as Error).message;
    expect(message).toContain('UpSampling2D');
    expect(message).toContain('my_upsample');
    expect(message).toMatch(/size/);
    expect(message).toMatch(/supported: .*Conv2D/);
    model.dispose();
  });

  it('a model that is not an RGB image classifier is refused', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const model = tf.model({ inputs: input, outputs: tf.layers.flatten().apply(input) as Sym });
    expect(() => convertLayersModelToOnnx(model, { kind: 'features' })).toThrow(ExportError);
    expect(() => convertLayersModelToOnnx(model, { kind: 'features' })).toThrow(/RGB image batch/);
    model.dispose();
  });

  it.runIf(haveOnnxChecker('onnx.checker on every layer export'))(
    'every file passes onnx.checker.check_model(full_check=True)',
    () => {
      expect(written.length).toBeGreaterThan(Object.keys(CASES).length);
      const { errors, tooNew } = onnxCheckerErrors(written);
      expect(errors).toEqual({});
      // Only the opset 21 file is beyond Debian's onnx (IR 8); everything else was checked.
      expect(tooNew.map((f) => f.split('/').pop())).toEqual(['opset-21.onnx']);
    },
  );
});
