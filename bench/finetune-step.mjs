#!/usr/bin/env node
/**
 * Fine-tune step throughput of MobileNetV2 a0.35 (224x224, batch 8) on tfjs CPU backends: the
 * baseline the GPU target in issue 8 compares against ("at least 10x the 2-core CPU wasm finetune
 * throughput"). One step = backbone forward (BatchNorm in inference mode, as Ferry's finetune
 * does) + global average pool + dense head, softmax cross-entropy, gradients for every trainable
 * variable (backbone included: this is where the wasm gradient kernels run) and an SGD update.
 * Inputs are random pixels: decoding is not part of the step.
 *
 * Usage (after `npx tsc -p tsconfig.build.json` in packages/trainer):
 *   FERRY_MODELS_DIR=../shared/pretrained node bench/finetune-step.mjs [--backends wasm,cpu]
 *     [--batch 8] [--steps 5] [--cpu-steps 2] [--profile]
 * Prints one line per backend and a final JSON line.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLayersModelFromDir, selectBackend } from '@ferry/trainer';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '5' },
    'cpu-steps': { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
  },
});
const modelsDir = process.env.FERRY_MODELS_DIR;
if (!modelsDir) {
  console.error('set FERRY_MODELS_DIR to the directory holding mobilenet_v2_0.35_224/');
  process.exit(2);
}
const batch = Number(args.batch);

async function measure(backendName) {
  const { tf, name, description } = await selectBackend(backendName);
  const base = await loadLayersModelFromDir(tf, join(modelsDir, 'mobilenet_v2_0.35_224'));
  const extractor = tf.model({ inputs: base.inputs, outputs: base.getLayer('out_relu').output });
  const head = tf.sequential({
    layers: [
      tf.layers.globalAveragePooling2d({ inputShape: extractor.outputs[0].shape.slice(1) }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const vars = [...extractor.trainableWeights, ...head.trainableWeights].map((w) => w.read());
  const optimizer = tf.train.sgd(1e-3);
  const x = tf.randomUniform([batch, 224, 224, 3], -1, 1);
  const y = tf.oneHot(
    tf.tensor1d(
      [0, 1, 0, 1, 1, 0, 1, 0].slice(0, batch).concat(Array(Math.max(0, batch - 8)).fill(0)),
      'int32',
    ),
    2,
  );

  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const feats = extractor.apply(x, { training: false });
        return tf.losses.softmaxCrossEntropy(y, head.apply(feats, { training: true }));
      }, vars);
      optimizer.applyGradients(grads);
      return value.dataSync()[0];
    });

  step(); // warm-up: kernel setup, XNNPACK operator caches, first allocations
  if (args.profile) {
    const info = await tf.profile(() => step());
    const byKernel = new Map();
    for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`${name} kernel ms (one step): ${top.map(([k, ms]) => `${k}=${ms.toFixed(0)}`).join(' ')}`);
  }
  const steps = Number(name === 'cpu' ? args['cpu-steps'] : args.steps);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  const imagesPerSecond = (steps * batch) / seconds;
  console.log(
    `${name}: ${imagesPerSecond.toFixed(2)} images/s (${((seconds / steps) * 1000).toFixed(0)} ms/step, ${steps} steps, batch ${batch}) — ${description}`,
  );
  tf.dispose([x, y]);
  extractor.dispose();
  head.dispose();
  return { backend: name, imagesPerSecond, msPerStep: (seconds / steps) * 1000, steps, batch };
}

const results = [];
for (const b of args.backends.split(',')) results.push(await measure(b));
console.log(
  JSON.stringify({
    bench: 'finetune-step',
    model: 'mobilenet_v2_0.35_224',
    date: new Date().toISOString(),
    results,
  }),
);
