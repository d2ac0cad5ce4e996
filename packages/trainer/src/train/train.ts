/**
 * `train(options)`: the whole transfer-learning run behind `ferry train`, usable without a
 * subprocess (demo, benchmarks). Writes the run directory contract: spec.json, checkpoint/,
 * metrics.json, predictions.csv, report.html, model.onnx (when the exporter is available).
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  argmax,
  createModelSpec,
  createRandom,
  defaultEvalPipeline,
  defaultTrainPipeline,
  FERRY_VERSION,
  shuffleInPlace,
  softmax,
  type TransformStep,
} from '@ferry/core';
import type * as tfTypes from '@tensorflow/tfjs';
import { cacheDir, resolveBackbone } from '../backbones/resolve.js';
import { selectBackend } from '../backend/index.js';
import { type Dataset, describeBalance, displayPath, loadDataset, type Sample } from '../data/dataset.js';
import {
  defaultConcurrency,
  loadSamples,
  type PlainView,
  type SkippedFile,
  stackInputs,
} from '../data/loader.js';
import { batches } from '../data/prefetch.js';
import { createTransformPool } from '../data/transform-pool.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/layers-model-io.js';
import {
  buildClassifier,
  buildHead,
  copyWeightsByName,
  cutBackbone,
  featureDim,
  inputSize,
} from '../model/classifier.js';
import { writeReport } from '../report/report-html.js';
import { lazyFeatureRunner } from './feature-runner.js';
import { type ExtractStats, extractFeatures, featureCacheKey, hashModelFiles } from './features.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { createOptimizer, type Stepper } from './optimizer.js';
import {
  FEATURES_AUG_VIEWS,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainEvent,
  type TrainOptions,
  type TrainPhase,
} from './options.js';
import { learningRateAt } from './schedule.js';
import {
  summarizeWarmStart,
  WARM_START_DIR,
  type WarmStartSummary,
  warmStartEvent,
  warmStartOptions,
} from './warm-start.js';

type Tf = typeof tfTypes;

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface ValPrediction {
  path: string;
  label: number;
  predicted: number;
  probabilities: number[];
}

export interface TrainResult {
  runDir: string;
  labels: string[];
  valAccuracy: number;
  bestEpoch: number;
  epochsRun: number;
  metrics: Metrics;
  history: EpochRecord[];
  predictions: ValPrediction[];
  durationSeconds: number;
  skipped: SkippedFile[];
  featureCache?: ExtractStats;
  /** finetune: the head-only features-mode phase the all-layer epochs started from. */
  warmStart?: WarmStartSummary;
  backend: string;
  interrupted: boolean;
  onnxPath?: string;
}

interface RunState {
  version: 1;
  options: Omit<ResolvedTrainOptions, 'onProgress' | 'signal'>;
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestAccuracy: number;
  bestLoss: number;
  bestPredictions: ValPrediction[];
  elapsedSeconds: number;
  completed: boolean;
  /** Set once finetune's warm start finished; its head is then in `.state/last`. */
  warmStart?: WarmStartSummary;
}

export class RunDirError extends Error {
  override name = 'RunDirError';
}

const STATE_DIR = '.state';

/** RandomResizedCrop + flip from core, with a milder minimum scale than ImageNet's 0.08 (small datasets). */
export function featureTrainPipeline(width: number, height: number): TransformStep[] {
  return defaultTrainPipeline(width, height).map((s) =>
    s.op === 'randomResizedCrop' ? { ...s, scale: [0.25, 1] as [number, number] } : s,
  );
}

/**
 * finetune's plain view: the eval pipeline plus a flip, shown as often as features mode shows
 * view 0 among its 1 + FEATURES_AUG_VIEWS views per image.
 */
export function finetunePlainView(evalPipeline: readonly TransformStep[]): PlainView {
  return {
    pipeline: [...evalPipeline, { op: 'randomHorizontalFlip', p: 0.5 }],
    probability: 1 / (1 + FEATURES_AUG_VIEWS),
  };
}

function oneHot(tf: Tf, labels: number[], n: number): tfTypes.Tensor2D {
  return tf.oneHot(tf.tensor1d(labels, 'int32'), n).toFloat() as tfTypes.Tensor2D;
}

function trainableVariables(model: tfTypes.LayersModel): tfTypes.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
}

async function readState(runDir: string): Promise<RunState> {
  const path = join(runDir, STATE_DIR, 'state.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunDirError(
      `cannot resume: ${runDir} has no ${STATE_DIR}/state.json (not a ferry run, or it never finished an epoch)`,
    );
  }
  const state = JSON.parse(text) as RunState;
  if (state.version !== 1)
    throw new RunDirError(`cannot resume: ${path} has unknown version ${state.version}`);
  return state;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const emit = (e: TrainEvent) => options.onProgress?.(e);
  const log = (message: string) => emit({ type: 'log', message });
  const runDir = resolve(options.out);
  let state: RunState | undefined;
  let r: ResolvedTrainOptions;
  if (options.resume) {
    state = await readState(runDir);
    if (state.completed) throw new RunDirError(`${runDir} is a completed run; nothing to resume`);
    r = {
      ...state.options,
      out: runDir,
      resume: true,
      onProgress: options.onProgress,
      onDownload: options.onDownload,
      signal: options.signal,
    };
    if (options.epochs !== undefined) r.epochs = options.epochs;
    log(`resuming ${runDir} after epoch ${state.epochsDone}`);
  } else {
    r = resolveTrainOptions(options);
    if (existsSync(join(runDir, 'spec.json')) || existsSync(join(runDir, STATE_DIR))) {
      throw new RunDirError(
        `${runDir} already holds a run: pass --resume to continue it, or choose another --out`,
      );
    }
  }
  const concurrency = r.concurrency || defaultConcurrency();

  const dataset = await loadDataset({ dir: r.data, csv: r.csv, valSplit: r.valSplit, seed: r.seed });
  const nClasses = dataset.labels.length;
  const balance = describeBalance(dataset, dataset.train);
  if (balance.warning) log(`warning: ${balance.warning}`);
  const skipped = new Map<string, SkippedFile>();
  const onSkip = (s: SkippedFile) => {
    if (skipped.has(s.path)) return;
    skipped.set(s.path, s);
    emit({ type: 'skip', path: displayPath(dataset, s.path), reason: s.reason });
  };

  const backend = await selectBackend(r.backend);
  const tf = backend.tf;
  const bb = await resolveBackbone(r.backbone, {
    ...(r.featureLayer ? { featureLayer: r.featureLayer } : {}),
    ...(options.onDownload ? { onProgress: options.onDownload } : {}),
  });
  const backboneModel = await loadLayersModelFromDir(tf, bb.modelJson);
  const extractor = cutBackbone(tf, backboneModel, bb.featureLayer);
  const { width, height } = inputSize(extractor);
  const evalPipeline = defaultEvalPipeline(width, height);
  // freeze keeps the full ImageNet-style augmentation. finetune trains on the views its warm head
  // learned from (features mode's): the plain eval view one time in 1 + FEATURES_AUG_VIEWS, a mild
  // RandomResizedCrop otherwise. Switching to RandomResizedCrop(0.08-1) alone pulled the warm
  // head off the centre-cropped val distribution (0.928 -> 0.882 after one all-layer epoch).
  const trainPipeline =
    r.mode === 'freeze' ? defaultTrainPipeline(width, height) : featureTrainPipeline(width, height);
  const plainView: PlainView | undefined =
    r.mode === 'finetune' ? finetunePlainView(evalPipeline) : undefined;
  const headOptions = { hiddenUnits: r.hiddenUnits, dropout: r.dropout, numClasses: nClasses, seed: r.seed };
  const head = buildHead(tf, featureDim(extractor), headOptions);
  const classifier = buildClassifier(tf, extractor, headOptions);
  // A frozen backbone never changes, so features/freeze runs keep only head weights in .state/
  // (a few KB per epoch) and write the full checkpoint once, from the best head, when they stop.
  const frozen = r.mode !== 'finetune';
  let bestHead: tfTypes.Tensor[] | undefined;
  // A finetune run stopped in its warm start has a state but no weights yet: it starts over.
  const lastDir = join(runDir, STATE_DIR, 'last');
  if (state && (existsSync(join(lastDir, 'model.json')) || frozen)) {
    const headOnly = existsSync(join(runDir, STATE_DIR, 'last-head', 'model.json'));
    const last = await loadLayersModelFromDir(tf, headOnly ? join(runDir, STATE_DIR, 'last-head') : lastDir);
    copyWeightsByName(last, classifier);
    copyWeightsByName(last, head);
    last.dispose();
    if (headOnly && existsSync(join(runDir, STATE_DIR, 'best-head', 'model.json'))) {
      const best = await loadLayersModelFromDir(tf, join(runDir, STATE_DIR, 'best-head'));
      bestHead = best.getWeights().map((w) => w.clone());
      best.dispose();
    }
  }
  const writeBestCheckpoint = async () => {
    if (!frozen || !bestHead) return;
    head.setWeights(bestHead);
    copyWeightsByName(head, classifier);
    await saveLayersModelToDir(classifier, join(runDir, 'checkpoint'));
  };
  emit({
    type: 'start',
    mode: r.mode,
    backend: backend.description,
    labels: dataset.labels,
    trainCount: dataset.train.length,
    valCount: dataset.val.length,
  });

  // features mode: pooled features for every train view and val image, from the cache or the backbone.
  let featureStats: ExtractStats | undefined;
  // Train features stay in one JS array (5 KB per view for MobileNetV2), batches are copied out:
  // no second copy in the backend's heap, so memory grows only by the features themselves.
  let trainX: Float32Array | undefined;
  let dim = 0;
  let trainY: number[] = [];
  let valX: tfTypes.Tensor2D | undefined;
  let valSamples: Sample[] = dataset.val;
  if (r.mode === 'features') {
    const backboneHash = await hashModelFiles(bb.modelJson);
    const key = featureCacheKey({
      backboneHash,
      featureLayer: bb.featureLayer,
      normalization: bb.normalization,
      evalPipeline,
      trainPipeline,
    });
    const runner = lazyFeatureRunner({
      tf,
      extractor,
      cacheKey: `${backboneHash.slice(0, 24)}-${bb.featureLayer.replace(/[^\w.-]/g, '_')}`,
      cacheDir: join(cacheDir(), 'onnx-backbones'),
      log,
    });
    const pool = createTransformPool();
    const common = {
      tf,
      extractor,
      runner,
      ...(pool ? { pool } : {}),
      dir: join(cacheDir(), 'features', key),
      evalPipeline,
      trainPipeline,
      normalization: bb.normalization,
      seed: r.seed,
      batchSize: 32,
      concurrency,
      onSkip,
      onBatch: (done: number, total: number, cached: number) =>
        emit({ type: 'features', done, total, cached }),
      ...(r.signal ? { signal: r.signal } : {}),
    };
    let tr: Awaited<ReturnType<typeof extractFeatures>>;
    let va: typeof tr;
    try {
      tr = await extractFeatures(dataset.train, { ...common, augViews: r.augViews });
      va = await extractFeatures(dataset.val, { ...common, augViews: 0 });
    } finally {
      await runner.dispose();
      await pool?.close();
    }
    featureStats = {
      hits: tr.stats.hits + va.stats.hits,
      misses: tr.stats.misses + va.stats.misses,
      backboneImages: tr.stats.backboneImages + va.stats.backboneImages,
    };
    log(
      `features: ${featureStats.hits} from cache, ${featureStats.backboneImages} through the backbone on ${runner.name} (${r.augViews} augmented views per training image)`,
    );
    dim = featureDim(extractor);
    const empty = new Float32Array(0);
    const pack = (rows: { features: Float32Array }[]) => {
      const flat = new Float32Array(rows.length * dim);
      rows.forEach((row, i) => {
        flat.set(row.features, i * dim);
        // Each row's array can go as soon as it is copied: the peak holds one copy, not two.
        row.features = empty;
      });
      return flat;
    };
    trainY = tr.rows.map((row) => row.sample.label);
    trainX = pack(tr.rows);
    valSamples = va.rows.map((row) => row.sample);
    valX = tf.tensor2d(pack(va.rows), [va.rows.length, dim]);
  }

  const trainCount = r.mode === 'features' ? trainY.length : dataset.train.length;
  if (trainCount === 0 || (r.mode === 'features' && valSamples.length === 0)) {
    throw new RunDirError('no decodable images left after skipping bad files');
  }
  const stepsPerEpoch = Math.ceil(trainCount / r.batchSize);
  const schedule = (lr: number) => ({ name: r.schedule, baseLr: lr, totalSteps: stepsPerEpoch * r.epochs });
  const headOpt: Stepper = createOptimizer(tf, r.optimizer, r.weightDecay);
  const backboneOpt: Stepper | undefined =
    r.mode === 'finetune' ? createOptimizer(tf, r.optimizer, r.weightDecay) : undefined;
  const headVars = trainableVariables(head);
  const backboneVars = r.mode === 'finetune' ? trainableVariables(extractor) : [];

  const lossOf = (logits: tfTypes.Tensor, labels: tfTypes.Tensor2D, vars: tfTypes.Variable[]) => {
    let loss = tf.losses.softmaxCrossEntropy(labels, logits, undefined, r.labelSmoothing) as tfTypes.Scalar;
    if (r.optimizer !== 'adamw' && r.weightDecay > 0) {
      // Coupled L2 for sgd/adam; AdamW decays the weights directly in the optimizer step.
      for (const v of vars)
        if (v.name.includes('kernel'))
          loss = loss.add(
            v
              .square()
              .sum()
              .mul(r.weightDecay / 2),
          );
    }
    return loss;
  };

  const history: EpochRecord[] = state?.history ?? [];
  let bestEpoch = state?.bestEpoch ?? 0;
  let bestAccuracy = state?.bestAccuracy ?? -1;
  let bestLoss = state?.bestLoss ?? Number.POSITIVE_INFINITY;
  let bestPredictions: ValPrediction[] = state?.bestPredictions ?? [];
  let interrupted = false;
  let frozenValFeatures: tfTypes.Tensor2D | undefined;
  const previousSeconds = state?.elapsedSeconds ?? 0;

  const evaluate = async (
    epoch: number,
  ): Promise<{ loss: number; accuracy: number; predictions: ValPrediction[] }> => {
    let logits: tfTypes.Tensor2D;
    let samples: Sample[];
    if (r.mode === 'features') {
      logits = tf.tidy(() => head.apply(valX!, { training: false }) as tfTypes.Tensor2D);
      samples = valSamples;
    } else {
      // Frozen backbone: val features never change, compute them once.
      if (!frozenValFeatures || r.mode === 'finetune') {
        const parts: tfTypes.Tensor2D[] = [];
        samples = [];
        const stream = loadSamples(
          dataset.val,
          { pipeline: evalPipeline, normalization: bb.normalization, concurrency },
          onSkip,
        );
        for await (const batch of batches(stream, r.batchSize)) {
          const x = tf.tensor4d(stackInputs(batch), [batch.length, height, width, 3]);
          parts.push(tf.tidy(() => extractor.apply(x, { training: false }) as tfTypes.Tensor2D));
          x.dispose();
          samples.push(...batch.map((b) => b.sample));
        }
        frozenValFeatures?.dispose();
        frozenValFeatures = tf.concat(parts) as tfTypes.Tensor2D;
        for (const p of parts) p.dispose();
        valSamples = samples;
      }
      samples = valSamples;
      logits = tf.tidy(() => head.apply(frozenValFeatures!, { training: false }) as tfTypes.Tensor2D);
    }
    const data = (await logits.array()) as number[][];
    logits.dispose();
    let lossSum = 0;
    let correct = 0;
    const predictions = samples.map((s, i) => {
      const probs = Array.from(softmax(Float32Array.from(data[i]!)));
      const predicted = argmax(probs);
      lossSum += -Math.log(Math.max(probs[s.label]!, 1e-12));
      if (predicted === s.label) correct++;
      return { path: s.path, label: s.label, predicted, probabilities: probs };
    });
    void epoch;
    return {
      loss: lossSum / Math.max(1, samples.length),
      accuracy: correct / Math.max(1, samples.length),
      predictions,
    };
  };

  let warmStart: WarmStartSummary | undefined = state?.warmStart;
  const saveState = async (epochsDone: number, completed: boolean, weights = !completed) => {
    if (weights) {
      if (frozen) await saveLayersModelToDir(head, join(runDir, STATE_DIR, 'last-head'));
      else {
        copyWeightsByName(head, classifier);
        await saveLayersModelToDir(classifier, join(runDir, STATE_DIR, 'last'));
      }
    }
    const { onProgress: _p, onDownload: _d, signal: _s, ...saved } = r;
    const s: RunState = {
      version: 1,
      options: saved,
      epochsDone,
      history,
      bestEpoch,
      bestAccuracy,
      bestLoss,
      bestPredictions,
      elapsedSeconds: previousSeconds + (Date.now() - started) / 1000,
      completed,
      ...(warmStart ? { warmStart } : {}),
    };
    await writeFileAtomic(join(runDir, STATE_DIR, 'state.json'), JSON.stringify(s));
  };

  // Events of a warm-started finetune run name their phase.
  const phase: TrainPhase | undefined = r.mode === 'finetune' && r.warmStart ? 'finetune' : undefined;
  if (phase && !warmStart) {
    const scratch = join(runDir, STATE_DIR, WARM_START_DIR);
    const wsOptions = warmStartOptions(r, scratch);
    const ws = resolveTrainOptions(wsOptions);
    // state.json first, so --resume finds this run even when the process dies in the warm start;
    // a warm start that did not finish is simply run again (its features come from the cache).
    await saveState(0, false, false);
    await rm(scratch, { recursive: true, force: true });
    emit({ type: 'phase', phase: 'warm-start', index: 1, phases: 2, epochs: ws.epochs });
    const sub = await train({
      ...wsOptions,
      onProgress: (e) => {
        const forwarded = warmStartEvent(e);
        if (forwarded) emit(forwarded);
      },
      ...(r.signal ? { signal: r.signal } : {}),
    });
    // Its skipped files were reported already; the finetune epochs must not list them again.
    for (const s of sub.skipped) skipped.set(s.path, s);
    if (sub.interrupted) interrupted = true;
    else {
      const warm = await loadLayersModelFromDir(tf, join(scratch, 'checkpoint'));
      copyWeightsByName(warm, head);
      warm.dispose();
      warmStart = summarizeWarmStart(ws, sub);
      // The warm head goes to .state/last with the state: from here on, resume skips the warm start.
      await saveState(0, false);
      await rm(scratch, { recursive: true, force: true });
      log(
        `warm start: head val accuracy ${sub.valAccuracy.toFixed(4)} (best epoch ${sub.bestEpoch}/${ws.epochs}) in ${sub.durationSeconds.toFixed(1)} s`,
      );
    }
  }
  if (phase && !interrupted)
    emit({ type: 'phase', phase: 'finetune', index: 2, phases: 2, epochs: r.epochs });

  let step = (state?.epochsDone ?? 0) * stepsPerEpoch;
  const startEpoch = state?.epochsDone ?? 0;
  let epochsRun = startEpoch;
  for (let epoch = startEpoch; epoch < r.epochs && !interrupted; epoch++) {
    const epochStart = Date.now();
    const random = createRandom(r.seed * 7919 + epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const headOnly = r.mode !== 'finetune' || epoch < r.freezeEpochs;
    const runBatch = async (
      features: tfTypes.Tensor | undefined,
      images: tfTypes.Tensor | undefined,
      labels: number[],
    ) => {
      const y = oneHot(tf, labels, nClasses);
      const vars = headOnly ? headVars : [...headVars, ...backboneVars];
      let logits: tfTypes.Tensor | undefined;
      const { value, grads } = tf.tidy(() => {
        const f = () => {
          const feats = features ?? (extractor.apply(images!, { training: false }) as tfTypes.Tensor);
          const out = head.apply(feats, { training: true }) as tfTypes.Tensor;
          // variableGrads disposes intermediates: keep the predictions for train accuracy.
          logits = tf.keep(out.argMax(-1));
          return lossOf(out, y, vars);
        };
        return tf.variableGrads(f, vars);
      });
      const lr = learningRateAt(step, schedule(r.lr));
      headOpt.step(grads, headVars, lr);
      if (!headOnly && backboneOpt)
        backboneOpt.step(grads, backboneVars, learningRateAt(step, schedule(r.backboneLr)));
      step++;
      const predicted = (await logits!.data()) as Int32Array;
      const loss = (await value.data())[0]!;
      predicted.forEach((p, i) => {
        if (p === labels[i]) correct++;
      });
      lossSum += loss * labels.length;
      seen += labels.length;
      tf.dispose([value, logits!, y, ...Object.values(grads)]);
      return loss;
    };

    if (r.mode === 'features') {
      const order = shuffleInPlace(
        Array.from({ length: trainCount }, (_, i) => i),
        random,
      );
      for (let b = 0; b < order.length; b += r.batchSize) {
        if (r.signal?.aborted) break;
        const idx = order.slice(b, b + r.batchSize);
        const rows = new Float32Array(idx.length * dim);
        idx.forEach((row, i) => rows.set(trainX!.subarray(row * dim, (row + 1) * dim), i * dim));
        const x = tf.tensor2d(rows, [idx.length, dim]);
        await runBatch(
          x,
          undefined,
          idx.map((i) => trainY[i]!),
        );
        x.dispose();
      }
    } else {
      const order = shuffleInPlace([...dataset.train], random);
      const stream = loadSamples(
        order,
        {
          pipeline: trainPipeline,
          normalization: bb.normalization,
          seed: r.seed * 7919 + epoch,
          concurrency,
          ...(plainView ? { plainView } : {}),
        },
        onSkip,
      );
      let b = 0;
      for await (const batch of batches(stream, r.batchSize)) {
        if (r.signal?.aborted) break;
        const x = tf.tensor4d(stackInputs(batch), [batch.length, height, width, 3]);
        let feats: tfTypes.Tensor | undefined;
        if (headOnly) feats = tf.tidy(() => extractor.apply(x, { training: false }) as tfTypes.Tensor);
        const loss = await runBatch(
          feats,
          headOnly ? undefined : x,
          batch.map((s) => s.sample.label),
        );
        feats?.dispose();
        x.dispose();
        emit({
          type: 'batch',
          epoch: epoch + 1,
          epochs: r.epochs,
          batch: ++b,
          batches: stepsPerEpoch,
          loss,
          ...(phase ? { phase } : {}),
        });
      }
    }
    if (r.signal?.aborted) {
      // The epoch in flight is lost; the last finished epoch is already on disk.
      interrupted = true;
      break;
    }
    const val = await evaluate(epoch);
    const seconds = (Date.now() - epochStart) / 1000;
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: lossSum / Math.max(1, seen),
      trainAccuracy: correct / Math.max(1, seen),
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      lr: learningRateAt(Math.max(0, step - 1), schedule(r.lr)),
      seconds,
      imagesPerSecond: seen / Math.max(seconds, 1e-6),
    };
    history.push(record);
    epochsRun = epoch + 1;
    const best = val.accuracy > bestAccuracy || (val.accuracy === bestAccuracy && val.loss < bestLoss);
    if (best) {
      bestAccuracy = val.accuracy;
      bestLoss = val.loss;
      bestEpoch = epoch + 1;
      bestPredictions = val.predictions;
      if (frozen) {
        tf.dispose(bestHead ?? []);
        bestHead = head.getWeights().map((w) => w.clone());
        await saveLayersModelToDir(head, join(runDir, STATE_DIR, 'best-head'));
      } else {
        copyWeightsByName(head, classifier);
        await saveLayersModelToDir(classifier, join(runDir, 'checkpoint'));
      }
    }
    await saveState(epoch + 1, false);
    const avg = history.slice(startEpoch).reduce((a, h) => a + h.seconds, 0) / (epoch + 1 - startEpoch);
    emit({
      type: 'epoch',
      ...(phase ? { phase } : {}),
      epoch: epoch + 1,
      epochs: r.epochs,
      trainLoss: record.trainLoss,
      trainAccuracy: record.trainAccuracy,
      valLoss: record.valLoss,
      valAccuracy: record.valAccuracy,
      lr: record.lr,
      imagesPerSecond: record.imagesPerSecond,
      etaSeconds: avg * (r.epochs - epoch - 1),
      best,
    });
    if (r.patience > 0 && epoch + 1 - bestEpoch >= r.patience) {
      log(`early stopping: no better val accuracy for ${r.patience} epochs`);
      break;
    }
    if (r.signal?.aborted) interrupted = true;
  }

  const durationSeconds = previousSeconds + (Date.now() - started) / 1000;
  const metrics = computeMetrics(
    dataset.labels,
    bestPredictions.map((p) => p.label),
    bestPredictions.map((p) => p.predicted),
  );
  const result: TrainResult = {
    runDir,
    labels: dataset.labels,
    valAccuracy: metrics.accuracy,
    bestEpoch,
    epochsRun,
    metrics,
    history,
    predictions: bestPredictions,
    durationSeconds,
    skipped: [...skipped.values()],
    ...(featureStats ? { featureCache: featureStats } : {}),
    ...(warmStart?.featureCache ? { featureCache: warmStart.featureCache } : {}),
    ...(warmStart ? { warmStart } : {}),
    backend: backend.name,
    interrupted,
  };
  await writeBestCheckpoint();
  const cleanup = () => {
    tf.dispose(bestHead ?? []);
    valX?.dispose();
    frozenValFeatures?.dispose();
    headOpt.dispose();
    backboneOpt?.dispose();
  };
  if (interrupted || bestEpoch === 0) {
    cleanup();
    if (bestEpoch === 0 && !interrupted) throw new RunDirError('training finished no epoch');
    return result;
  }

  const spec = createModelSpec({
    name: `ferry-${dataset.labels.join('-')}`.slice(0, 64),
    labels: dataset.labels,
    width,
    height,
    normalization: bb.normalization,
    preprocess: evalPipeline,
    backbone: { id: bb.id, featureLayer: bb.featureLayer, source: bb.source },
    head: { type: 'dense', hiddenUnits: r.hiddenUnits, dropout: r.dropout, pooling: 'avg' },
    training: {
      mode: r.mode,
      epochs: r.epochs,
      bestEpoch,
      batchSize: r.batchSize,
      optimizer: r.optimizer,
      learningRate: r.lr,
      ...(r.mode === 'finetune'
        ? {
            backboneLearningRate: r.backboneLr,
            freezeEpochs: r.freezeEpochs,
            plainViewProbability: plainView?.probability,
            // Provenance of the head the all-layer epochs started from (false: random init).
            warmStart: warmStart ? warmStartProvenance(warmStart) : false,
          }
        : {}),
      schedule: r.schedule,
      weightDecay: r.weightDecay,
      labelSmoothing: r.labelSmoothing,
      augViews: r.augViews,
      seed: r.seed,
      dataset: dataset.root,
      trainCount:
        dataset.train.length -
        [...skipped.values()].filter((s) => dataset.train.some((t) => t.path === s.path)).length,
      valCount: bestPredictions.length,
      valAccuracy: metrics.accuracy,
      perClass: metrics.perClass,
      backend: backend.name,
      durationSeconds,
      createdAt: new Date().toISOString(),
      ferryVersion: FERRY_VERSION,
    },
  });
  await writeRunOutputs(runDir, dataset, result, spec);
  if (r.report) {
    await writeReport({
      runDir,
      dataset,
      result,
      trainPipeline,
      ...(plainView ? { plainView } : {}),
      evalPipeline,
      seed: r.seed,
    });
  }
  await saveState(epochsRun, true);
  for (const dir of ['last', 'last-head', 'best-head', WARM_START_DIR])
    await rm(join(runDir, STATE_DIR, dir), { recursive: true, force: true });
  cleanup();
  if (r.exportOnnx) {
    try {
      const { exportRunToOnnx } = await import('../export/index.js');
      const exported = await exportRunToOnnx({ runDir });
      result.onnxPath = exported.path;
    } catch (error) {
      log(`warning: ONNX export skipped: ${(error as Error).message}`);
    }
  }
  result.durationSeconds = previousSeconds + (Date.now() - started) / 1000;
  emit({
    type: 'done',
    valAccuracy: metrics.accuracy,
    bestEpoch,
    durationSeconds: result.durationSeconds,
    runDir,
  });
  return result;
}

/** spec.json's view of the warm start: its settings and outcome, not its epoch history. */
function warmStartProvenance(w: WarmStartSummary) {
  const { history: _h, featureCache: _f, ...rest } = w;
  return rest;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function predictionsCsv(dataset: Dataset, predictions: ValPrediction[]): string {
  const lines = ['path,label,predicted,probability'];
  for (const p of predictions) {
    lines.push(
      [
        csvCell(displayPath(dataset, p.path)),
        csvCell(dataset.labels[p.label]!),
        csvCell(dataset.labels[p.predicted]!),
        p.probabilities[p.predicted]!.toFixed(6),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function writeRunOutputs(
  runDir: string,
  dataset: Dataset,
  result: TrainResult,
  spec: ReturnType<typeof createModelSpec>,
): Promise<void> {
  await writeFileAtomic(join(runDir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  await writeFileAtomic(join(runDir, 'predictions.csv'), predictionsCsv(dataset, result.predictions));
  const metrics = {
    labels: result.labels,
    valAccuracy: result.valAccuracy,
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
    macroF1: result.metrics.macroF1,
    perClass: result.metrics.perClass,
    confusionMatrix: result.metrics.confusion,
    history: result.history,
    skipped: result.skipped.map((s) => ({ path: displayPath(dataset, s.path), reason: s.reason })),
    classCounts: {
      train: describeBalance(dataset, dataset.train).counts,
      val: describeBalance(dataset, dataset.val).counts,
    },
    featureCache: result.featureCache ?? null,
    warmStart: result.warmStart ?? null,
    backend: result.backend,
    durationSeconds: result.durationSeconds,
  };
  await writeFileAtomic(join(runDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
}
