/**
 * `train()` beyond the default path, on photos and a random-weight backbone the test makes:
 * freeze and finetune (frozen BatchNorm statistics, --freeze-epochs), interrupt + resume,
 * early stopping, and the ONNX export at the end (written, or a failed export that keeps the run).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { maxAbsDiff } from '@ferry/fixtures/max-abs-diff';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { saveLayersModelToDir } from '../io/layers-model-io.js';
import {
  layerWeights,
  readRunState,
  trainInterrupted,
  useTrainFixture,
} from '../test-support/train-fixture.js';
import type { TrainEvent } from './options.js';
import { train } from './train.js';

const { root, data, backbone } = useTrainFixture('train-modes', { trainPerClass: 6, valPerClass: 3 });

const base = () => ({
  data,
  backbone,
  featureLayer: 'out_relu',
  backend: 'wasm' as const,
  batchSize: 4,
  exportOnnx: false,
  report: false,
});

describe('train: freeze and finetune', () => {
  it('freeze trains the head only; the backbone in the checkpoint is the pretrained one', async () => {
    const out = join(root, 'freeze');
    const r = await train({ ...base(), out, mode: 'freeze', epochs: 2 });
    expect(r.history).toHaveLength(2);
    expect(r.featureCache).toBeUndefined();
    const [before] = await layerWeights(backbone, 'Conv1');
    const [after] = await layerWeights(join(out, 'checkpoint'), 'Conv1');
    expect(maxAbsDiff(before!, after!)).toBe(0);
  });

  it('finetune moves the convolutions but keeps BatchNorm statistics; --freeze-epochs holds the backbone first', async () => {
    const out = join(root, 'finetune');
    const r = await train({
      ...base(),
      out,
      mode: 'finetune',
      epochs: 2,
      lr: 0.01,
      backboneLr: 0.01,
      optimizer: 'sgd',
    });
    expect(r.history).toHaveLength(2);
    const [convBefore] = await layerWeights(backbone, 'Conv1');
    const [convAfter] = await layerWeights(join(out, 'checkpoint'), 'Conv1');
    expect(maxAbsDiff(convBefore!, convAfter!)).toBeGreaterThan(1e-6);
    // BatchNormalization weights: gamma, beta, moving mean, moving variance.
    const bnBefore = await layerWeights(backbone, 'bn_Conv1');
    const bnAfter = await layerWeights(join(out, 'checkpoint'), 'bn_Conv1');
    expect(maxAbsDiff(bnBefore[2]!, bnAfter[2]!)).toBe(0);
    expect(maxAbsDiff(bnBefore[3]!, bnAfter[3]!)).toBe(0);

    // One epoch in total with one head-only epoch: the backbone never moves.
    const held = join(root, 'finetune-held');
    await train({ ...base(), out: held, mode: 'finetune', epochs: 1, freezeEpochs: 1, lr: 0.01 });
    const [convHeld] = await layerWeights(join(held, 'checkpoint'), 'Conv1');
    expect(maxAbsDiff(convBefore!, convHeld!)).toBe(0);
  });
});

describe('train: interrupt, resume, early stopping, export', () => {
  it('an abort after epoch 2 saves the state and --resume finishes the run', async () => {
    const out = join(root, 'resume');
    const first = await trainInterrupted(
      { ...base(), out, epochs: 5 },
      (e) => e.type === 'epoch' && e.epoch === 2,
    );
    expect(first.interrupted).toBe(true);
    expect(first.epochsRun).toBe(2);
    expect(existsSync(join(out, 'spec.json'))).toBe(false);
    expect(existsSync(join(out, 'checkpoint', 'model.json'))).toBe(true);
    const state = await readRunState(out);
    expect(state).toMatchObject({ epochsDone: 2, completed: false });
    // Frozen backbone: the state holds head weights only; a SIGKILL would leave no checkpoint.
    expect(existsSync(join(out, '.state', 'last-head', 'model.json'))).toBe(true);
    expect(existsSync(join(out, '.state', 'best-head', 'model.json'))).toBe(true);
    await rm(join(out, 'checkpoint'), { recursive: true });

    const events: TrainEvent[] = [];
    const resumed = await train({ out, resume: true, onProgress: (e) => events.push(e) });
    expect(resumed.interrupted).toBe(false);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([
      3, 4, 5,
    ]);
    expect(existsSync(join(out, 'spec.json'))).toBe(true);
    expect(existsSync(join(out, 'checkpoint', 'model.json'))).toBe(true);
    expect(existsSync(join(out, '.state', 'last-head'))).toBe(false);
    await expect(train({ out, resume: true })).rejects.toThrow(/completed run/);
  });

  it('frees every tensor and model it made, in every mode', async () => {
    // Warm the backend up first: its own one-time tensors are not the run's.
    await train({ ...base(), out: join(root, 'dispose-warm-up'), epochs: 1 });
    const before = tf.memory().numTensors;
    await train({ ...base(), out: join(root, 'dispose-features'), epochs: 2 });
    await train({ ...base(), out: join(root, 'dispose-freeze'), mode: 'freeze', epochs: 1 });
    await train({ ...base(), out: join(root, 'dispose-finetune'), mode: 'finetune', epochs: 1, lr: 0.01 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops early when val accuracy stops improving', async () => {
    const r = await train({
      ...base(),
      out: join(root, 'patience'),
      epochs: 20,
      // A step far too small to change anything: no epoch after the first is better.
      lr: 1e-12,
      optimizer: 'sgd',
      schedule: 'none',
      patience: 2,
    });
    expect(r.bestEpoch).toBe(1);
    expect(r.epochsRun).toBe(3);
  });

  it('writes model.onnx at the end, and a backbone the exporter cannot convert still leaves a complete run', async () => {
    const good = await train({ ...base(), out: join(root, 'export'), epochs: 1, exportOnnx: true });
    expect(good.onnxPath).toBe(join(root, 'export', 'model.onnx'));
    expect(existsSync(good.onnxPath!)).toBe(true);

    // UpSampling2D has no ONNX converter: the export fails, the run does not.
    const input = tf.input({ shape: [224, 224, 3] });
    let x = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 8, name: 'c', kernelInitializer: 'heNormal' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: 'out_relu' }).apply(x) as tf.SymbolicTensor;
    const odd = join(root, 'odd-backbone');
    await saveLayersModelToDir(tf.model({ inputs: input, outputs: x }), odd);
    const logs: string[] = [];
    const out = join(root, 'export-fails');
    const r = await train({
      ...base(),
      backbone: odd,
      out,
      epochs: 1,
      exportOnnx: true,
      onProgress: (e) => {
        if (e.type === 'log') logs.push(e.message);
      },
    });
    expect(r.onnxPath).toBeUndefined();
    expect(logs.some((l) => /^warning: ONNX export skipped: .*UpSampling2D/.test(l))).toBe(true);
    expect(logs.some((l) => /^note: backbone features on tfjs/.test(l))).toBe(true);
    for (const f of ['spec.json', 'metrics.json', 'predictions.csv', 'checkpoint/model.json'])
      expect(existsSync(join(out, f))).toBe(true);
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
  });
});
