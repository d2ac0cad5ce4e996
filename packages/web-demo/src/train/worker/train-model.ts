/**
 * Training in the page, through the functions `ferry train`'s default (features mode) uses,
 * all from @ferry/model: the seeded head init (`buildHead`), the TypeScript head's fit with the
 * CLI's defaults (`fitFeatureHead`), the open-set scorer, temperature and threshold
 * (`fitOpenSet`), the spec (`runModelSpec`) and the ONNX file (`buildClassifier` +
 * `convertLayersModelToOnnx`), so the file downloaded here is the one `ferry train` writes.
 */
import { defaultEvalPipeline } from '@ferry/core';
import {
  buildClassifier,
  buildHead,
  computeMetrics,
  convertLayersModelToOnnx,
  DEFAULT_OPEN_SET_METHOD,
  denseLogits,
  FEATURES_MODE_DEFAULTS,
  fitFeatureHead,
  fitOpenSet,
  runModelSpec,
} from '@ferry/model';
import type { EpochProgress, TrainJob, TrainOutcome, TrainSample } from '../protocol.js';
import type { LoadedBackbone } from './backbone.js';

/** What the spec records as where the run's math ran. */
const BACKEND = 'browser (onnxruntime-web wasm features, TypeScript head)';

export class TrainInputError extends Error {
  override name = 'TrainInputError';
}

function packRows(
  samples: TrainSample[],
  features: (key: string) => Float32Array | undefined,
  dim: number,
): Float32Array {
  const flat = new Float32Array(samples.length * dim);
  samples.forEach((s, i) => {
    const row = features(s.key);
    if (!row || row.length !== dim)
      throw new TrainInputError(`the features of ${s.path} are missing; add the photo again`);
    flat.set(row, i * dim);
  });
  return flat;
}

export async function trainModel(
  backbone: LoadedBackbone,
  job: TrainJob,
  features: (key: string) => Float32Array | undefined,
  onEpoch: (progress: EpochProgress) => void,
): Promise<TrainOutcome> {
  const started = performance.now();
  const { tf, dim } = backbone;
  const classes = job.labels.length;
  const o = { ...FEATURES_MODE_DEFAULTS, seed: job.seed };
  const trainX = packRows(job.train, features, dim);
  const valX = packRows(job.val, features, dim);
  const trainLabels = job.train.map((s) => s.label);
  const valLabels = job.val.map((s) => s.label);
  // The seeded glorot init of the tfjs head, as the CLI reads it before its first step.
  const headOptions = { hiddenUnits: [], dropout: 0, numClasses: classes, seed: o.seed };
  const head = buildHead(tf, dim, headOptions);
  const [kernel, bias] = head.getWeights().map((w) => Float32Array.from(w.dataSync()));
  head.dispose();
  const fit = await fitFeatureHead({
    trainX,
    trainLabels,
    valX,
    valLabels,
    dim,
    classes,
    options: o,
    init: { kernel: kernel!, bias: bias! },
    onEpoch: (e) =>
      onEpoch({
        epoch: e.epoch,
        epochs: e.epochs,
        trainLoss: e.trainLoss,
        valAccuracy: e.valAccuracy,
        valLoss: e.valLoss,
        best: e.best,
      }),
  });
  const metrics = computeMetrics(job.labels, valLabels, fit.val.predicted);
  const openSet = fitOpenSet({
    train: { data: trainX, rows: job.train.length, dim },
    trainLabels,
    classes,
    val: { data: valX, rows: job.val.length, dim },
    valLogits: denseLogits(fit.kernel, fit.bias, valX, job.val.length),
    valLabels,
    method: DEFAULT_OPEN_SET_METHOD,
  });
  const { width, height } = backbone;
  const spec = runModelSpec({
    labels: job.labels,
    width,
    height,
    backbone: {
      id: backbone.request.id,
      featureLayer: backbone.request.featureLayer,
      source: backbone.request.source,
      normalization: backbone.request.normalization,
    },
    evalPipeline: defaultEvalPipeline(width, height),
    head: { hiddenUnits: [], dropout: 0 },
    settings: { mode: 'features', ...o },
    outcome: {
      bestEpoch: fit.bestEpoch,
      trainCount: job.train.length,
      valCount: job.val.length,
      valAccuracy: metrics.accuracy,
      perClass: metrics.perClass,
    },
    provenance: {
      dataset: job.dataset,
      backend: BACKEND,
      durationSeconds: (performance.now() - started) / 1000,
      createdAt: new Date().toISOString(),
    },
  });
  spec.openSet = openSet.spec;
  const classifier = buildClassifier(tf, backbone.extractor, headOptions);
  const weights = [tf.tensor2d(fit.kernel, [dim, classes]), tf.tensor1d(fit.bias)];
  classifier.getLayer('ferry_logits').setWeights(weights);
  tf.dispose(weights);
  const { bytes } = convertLayersModelToOnnx(classifier, { spec, openSet: openSet.params });
  const threshold = openSet.spec.threshold;
  return {
    model: bytes,
    labels: job.labels,
    valAccuracy: metrics.accuracy,
    bestEpoch: fit.bestEpoch,
    epochs: fit.epochsRun,
    confusion: metrics.confusion,
    perClass: job.labels.map((l) => metrics.perClass[l]!),
    val: job.val.map((s, i) => ({
      id: s.id,
      path: s.path,
      label: s.label,
      predicted: fit.val.predicted[i]!,
      probabilities: fit.val.probabilities[i]!,
      oodScore: openSet.valScores[i]!,
      unknown: openSet.valScores[i]! > threshold,
    })),
    openSet: openSet.spec,
    trainCount: job.train.length,
    seconds: (performance.now() - started) / 1000,
  };
}
