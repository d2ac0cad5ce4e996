/**
 * finetune's warm start on photos and a random-weight backbone the test makes: the all-layer
 * phase starts from exactly the head a features-mode run trains (and from the random init with
 * warmStart: false), both phases show in the events and in spec.json / metrics.json, and
 * --resume neither redoes a finished warm start nor trips over an unfinished one.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { maxAbsDiff } from '@ferry/fixtures/max-abs-diff';
import { buildHead } from '@ferry/model';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  layerWeights,
  readRunState,
  trainInterrupted,
  useTrainFixture,
} from '../test-support/train-fixture.js';
import { resolveTrainOptions, type TrainEvent, TrainOptionsError } from './options.js';
import { train } from './train.js';
import { warmStartOptions } from './warm-start.js';

const { root, data, backbone } = useTrainFixture('warm-start', { trainPerClass: 6, valPerClass: 3 });

const shared = () => ({
  data,
  backbone,
  featureLayer: 'out_relu',
  backend: 'wasm' as const,
  exportOnnx: false,
  report: false,
});

/**
 * finetune whose all-layer steps are far too small to move anything: its checkpoint holds the
 * head it started from.
 */
const stillFinetune = () => ({
  ...shared(),
  mode: 'finetune' as const,
  epochs: 1,
  batchSize: 4,
  lr: 1e-12,
  backboneLr: 1e-12,
  optimizer: 'sgd' as const,
  schedule: 'none' as const,
  weightDecay: 0,
});

/** ferry_logits [kernel, bias] of a saved classifier, flattened. */
const logits = (modelDir: string) => layerWeights(modelDir, 'ferry_logits');

const maxDiff = (a: number[][], b: number[][]) => maxAbsDiff(a.flat(), b.flat());

const epochsOf = (events: TrainEvent[], phase?: string) =>
  events.filter((e) => e.type === 'epoch' && e.phase === phase).map((e) => (e as { epoch: number }).epoch);

describe('finetune warm start', () => {
  it('starts the all-layer phase from the head features mode trains, and says so', async () => {
    // features mode with the warm start's views (the plain one and two random crops, finetune's
    // mix, at its rate; features mode's own default is the plain view alone at 3e-3).
    const features = await train({
      ...shared(),
      out: join(root, 'features'),
      augViews: 2,
      mirrorView: false,
      lr: 0.001,
    });
    const featuresHead = await logits(join(root, 'features', 'checkpoint'));

    const out = join(root, 'warm');
    const events: TrainEvent[] = [];
    const r = await train({ ...stillFinetune(), out, onProgress: (e) => events.push(e) });
    expect(maxDiff(await logits(join(out, 'checkpoint')), featuresHead)).toBeLessThan(1e-6);
    // Same head on (tfjs) backbone features: the first finetune epoch scores what features mode did.
    expect(r.history[0]!.valAccuracy).toBe(features.valAccuracy);
    expect(r.history[0]!.valLoss).toBeCloseTo(features.history[features.bestEpoch - 1]!.valLoss, 4);

    // Events: one start, the warm start (features mode's 40 epochs), then the finetune epoch.
    const kinds = events.filter((e) => e.type === 'start' || e.type === 'phase' || e.type === 'done');
    expect(kinds.map((e) => (e.type === 'phase' ? `${e.phase} ${e.index}/${e.phases}` : e.type))).toEqual([
      'start',
      'warm-start 1/2',
      'finetune 2/2',
      'done',
    ]);
    expect(epochsOf(events, 'warm-start')).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(epochsOf(events, 'finetune')).toEqual([1]);
    expect(events.findIndex((e) => e.type === 'features')).toBeGreaterThan(1);

    const spec = JSON.parse(await readFile(join(out, 'spec.json'), 'utf8'));
    expect(spec.training).toMatchObject({
      mode: 'finetune',
      epochs: 1,
      // The all-layer phase shows the plain view as often as features mode did (1 of 1 + 2 views).
      plainViewProbability: 1 / 3,
      warmStart: {
        mode: 'features',
        epochs: 40,
        bestEpoch: features.bestEpoch,
        valAccuracy: features.valAccuracy,
        learningRate: 0.001,
        augViews: 2,
      },
    });
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.warmStart.history).toHaveLength(40);
    expect(metrics.history).toHaveLength(1);
    // The features were the features-mode run's: the warm start never touched the backbone.
    expect(r.featureCache?.backboneImages).toBe(0);
    expect(existsSync(join(out, '.state', 'warm-start'))).toBe(false);
  });

  it('warmStart: false starts from the random head, in one phase', async () => {
    const out = join(root, 'cold');
    const events: TrainEvent[] = [];
    const r = await train({ ...stillFinetune(), out, warmStart: false, onProgress: (e) => events.push(e) });
    const saved = await logits(join(out, 'checkpoint'));
    const fresh = buildHead(tf, saved[0]!.length / 2, {
      hiddenUnits: [],
      dropout: 0,
      numClasses: 2,
      seed: 42,
    });
    const init = fresh
      .getLayer('ferry_logits')
      .getWeights()
      .map((w) => Array.from(w.dataSync()));
    fresh.dispose();
    expect(maxDiff(saved, init)).toBeLessThan(1e-6);
    expect(maxDiff(saved, await logits(join(root, 'warm', 'checkpoint')))).toBeGreaterThan(1e-3);
    expect(events.some((e) => e.type === 'phase' || e.type === 'features')).toBe(false);
    expect(epochsOf(events)).toEqual([1]);
    expect(r.warmStart).toBeUndefined();
    const spec = JSON.parse(await readFile(join(out, 'spec.json'), 'utf8'));
    expect(spec.training.warmStart).toBe(false);
  });

  it('uses features-mode defaults for the head phase and only applies to finetune', () => {
    const r = resolveTrainOptions({ data, out: 'o', mode: 'finetune', epochs: 3, lr: 0.01, batchSize: 8 });
    expect(r.warmStart).toBe(true);
    const ws = resolveTrainOptions(warmStartOptions(r, 'scratch'));
    expect(ws).toMatchObject({ mode: 'features', epochs: 40, lr: 0.001, batchSize: 64, augViews: 2 });
    // The warm start keeps finetune's views and rate; features mode's own default is the plain
    // view alone at 3e-3.
    expect(ws.mirrorView).toBe(false);
    expect(resolveTrainOptions({ data, out: 'o' })).toMatchObject({
      augViews: 0,
      mirrorView: false,
      lr: 0.003,
    });
    expect(() => resolveTrainOptions({ data, out: 'o', mode: 'finetune', mirrorView: false })).toThrow(
      /only applies to --mode features/,
    );
    expect(resolveTrainOptions({ data, out: 'o' }).warmStart).toBe(false);
    expect(() => resolveTrainOptions({ data, out: 'o', mode: 'freeze', warmStart: false })).toThrow(
      TrainOptionsError,
    );
  });
});

describe('finetune warm start and --resume', () => {
  it('an interrupt after the warm start resumes into finetune without redoing it', async () => {
    const out = join(root, 'resume-after');
    const first = await trainInterrupted(
      { ...stillFinetune(), out, epochs: 2 },
      (e) => e.type === 'batch' && e.phase === 'finetune',
    );
    expect(first.interrupted).toBe(true);
    expect(first.epochsRun).toBe(0);
    const state = await readRunState(out);
    expect(state).toMatchObject({ epochsDone: 0, warmStart: { mode: 'features', epochs: 40 } });
    expect(existsSync(join(out, '.state', 'last', 'model.json'))).toBe(true);

    const events: TrainEvent[] = [];
    const resumed = await train({ out, resume: true, onProgress: (e) => events.push(e) });
    expect(resumed.interrupted).toBe(false);
    expect(epochsOf(events, 'warm-start')).toEqual([]);
    expect(events.some((e) => e.type === 'features')).toBe(false);
    expect(events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase)).toEqual([
      'finetune',
    ]);
    expect(epochsOf(events, 'finetune')).toEqual([1, 2]);
    // The finetune epochs started from the features-mode head (the steps are too small to move it).
    expect(
      maxDiff(await logits(join(out, 'checkpoint')), await logits(join(root, 'features', 'checkpoint'))),
    ).toBeLessThan(1e-6);
    expect(resumed.warmStart).toEqual(state.warmStart);
  });

  it('an interrupt inside the warm start leaves a resumable run that runs the warm start again', async () => {
    const out = join(root, 'resume-inside');
    const first = await trainInterrupted(
      { ...stillFinetune(), out },
      (e) => e.type === 'epoch' && e.phase === 'warm-start' && e.epoch === 3,
    );
    expect(first.interrupted).toBe(true);
    const state = await readRunState(out);
    expect(state).toMatchObject({ epochsDone: 0, completed: false });
    expect(state.warmStart).toBeUndefined();
    expect(existsSync(join(out, '.state', 'last'))).toBe(false);
    // A fresh run may not overwrite it; --resume takes it.
    await expect(train({ ...stillFinetune(), out })).rejects.toThrow(/already holds a run/);

    const events: TrainEvent[] = [];
    const resumed = await train({ out, resume: true, onProgress: (e) => events.push(e) });
    expect(resumed.interrupted).toBe(false);
    expect(epochsOf(events, 'warm-start')).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(epochsOf(events, 'finetune')).toEqual([1]);
    expect(
      maxDiff(await logits(join(out, 'checkpoint')), await logits(join(root, 'features', 'checkpoint'))),
    ).toBeLessThan(1e-6);
  });
});
