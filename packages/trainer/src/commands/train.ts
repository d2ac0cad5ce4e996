/**
 * `ferry train`: options -> `train()`, progress on the terminal (bar on a TTY, plain lines
 * otherwise, JSON lines with --json), Ctrl-C saves the last finished epoch and exits 130.
 */
import { parseArgs } from 'node:util';
import type { OpenSetMethod } from '@ferry/core';
import type { OptimizerName, ScheduleName } from '@ferry/model';
import { formatMetrics, ModelBuildError } from '@ferry/model';
import { progressBar } from '../backbones/download.js';
import { BackboneError } from '../backbones/resolve.js';
import { BACKEND_NAMES, type BackendName, isBackendName } from '../backend/names.js';
import { CliError } from '../cli-support.js';
import { DatasetError } from '../data/dataset.js';
import { ModelFileError } from '../io/layers-model-io.js';
import { type TrainEvent, type TrainMode, TrainOptionsError } from '../train/options.js';
import { RunDirError, train } from '../train/train.js';
import { createReporter } from './progress.js';

export const usage = `Usage: ferry train --data DIR --out RUN_DIR [options]

Fine-tunes a pretrained CNN on DIR/<label>/*.jpg (DIR/train + DIR/val when both exist,
otherwise a seeded stratified split) and writes RUN_DIR: spec.json, checkpoint/, metrics.json,
predictions.csv, report.html, model.onnx.

Data
  --data DIR              folder-per-class dataset
  --csv FILE              CSV manifest "file,label" instead of --data
  --val-split F           held-out fraction without train/val folders (default 0.2)
Model
  --backbone ID|DIR|URL   registry id (default mobilenet_v2_0.35_224; also
                          mobilenet_v2_{0.50,0.75,1.00}_224, mobilenet_v1_{0.25,0.50,0.75,1.0}_224)
                          or a tfjs LayersModel directory/URL with --feature-layer
  --feature-layer NAME    layer to cut the backbone at
  --hidden N[,N]          hidden dense layers in the head (default none)
  --dropout F             dropout before the logits (default 0)
Training
  --mode M                features (default: cached frozen features, fast), freeze, finetune
  --epochs N              default 40 (features), 5 (freeze/finetune)
  --batch-size N          default 64 (features), 16 (freeze/finetune)
  --lr X                  default 0.003 (features), 0.001 (freeze), 0.0001 (finetune)
  --backbone-lr X         finetune: backbone learning rate (default lr/10)
  --no-warm-start         finetune: start from a random head. By default finetune first trains
                          the head exactly as --mode features does (cached frozen features, its
                          defaults: 40 epochs; the backbone runs once per image and view),
                          then fine-tunes every layer from it on the same kind of views
                          (mild random crops, the plain view one time in three)
  --freeze-epochs N       finetune: head-only epochs with the backbone recomputed before
                          every layer trains (default 0)
  --optimizer O           sgd (momentum 0.9) | adam | adamw (default)
  --schedule S            none | step | cosine (default) | onecycle
  --weight-decay X        default 1 (features, decoupled: lr*X per step), 0.01 otherwise
  --label-smoothing X     default 0.1
  --aug-views K           features: random-crop views per image (default 0)
  --mirror-view           features: also train on each photo's plain view mirrored left to
                          right (one more backbone pass per photo; default: the plain view only;
                          --no-mirror-view, the default, is still accepted)
  --patience N            early stopping after N epochs without improvement (default off)
  --seed N                default 42; same seed, same metrics
  --backend B             auto (default) | wasm | cpu | tensorflow | tensorflow-gpu | webgpu
                          (GPU set-up: docs/gpu.md)
Open set (every mode: a score for "none of these labels" and a temperature, fitted on the
training photos' features and calibrated on val so at most 5 % of val photos are rejected)
  --ood-method M          knn-cosine+max-softmax (default) | knn-cosine | knn-cosine+energy |
                          centroid-cosine | mahalanobis | max-softmax | energy
Run
  --resume                continue the interrupted run in --out
  --no-export             skip writing model.onnx
  --json                  JSON lines on stdout instead of human output
  -h, --help              this help

Environment: FERRY_MODELS_DIR (read-only backbone mirror), FERRY_CACHE_DIR (default ~/.cache/ferry:
backbones, cached features, converted backbones), FERRY_OFFLINE=1 (never download),
FERRY_FEATURES_RUNTIME=tfjs (features mode: run the frozen backbone on tfjs instead of onnxruntime-node).`;

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new CliError(`${name} expects a number, got "${value}"`);
  return n;
}

export function parseTrainArgs(argv: string[]) {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        csv: { type: 'string' },
        out: { type: 'string' },
        backbone: { type: 'string' },
        'feature-layer': { type: 'string' },
        mode: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        'backbone-lr': { type: 'string' },
        'freeze-epochs': { type: 'string' },
        'no-warm-start': { type: 'boolean' },
        optimizer: { type: 'string' },
        schedule: { type: 'string' },
        'weight-decay': { type: 'string' },
        'label-smoothing': { type: 'string' },
        dropout: { type: 'string' },
        hidden: { type: 'string' },
        'aug-views': { type: 'string' },
        'mirror-view': { type: 'boolean' },
        'no-mirror-view': { type: 'boolean' },
        patience: { type: 'string' },
        'ood-method': { type: 'string' },
        'val-split': { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        resume: { type: 'boolean' },
        'no-export': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`);
  }
  const v = parsed.values;
  if (!v.out) throw new CliError('missing --out RUN_DIR (see ferry train --help)');
  if (!v.resume && !v.data && !v.csv)
    throw new CliError('missing --data DIR or --csv FILE (see ferry train --help)');
  if (v.data && v.csv) throw new CliError('pass either --data or --csv, not both');
  // One list for the CLI and selectBackend, so a backend added there is accepted here too.
  if (v.backend && !isBackendName(v.backend)) {
    throw new CliError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got "${v.backend}"`);
  }
  const hidden = v.hidden
    ? v.hidden.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1)
          throw new CliError(`--hidden expects positive integers, got "${v.hidden}"`);
        return n;
      })
    : undefined;
  const options = {
    out: v.out,
    data: v.data,
    csv: v.csv,
    backbone: v.backbone,
    featureLayer: v['feature-layer'],
    mode: v.mode as TrainMode | undefined,
    epochs: num('--epochs', v.epochs),
    batchSize: num('--batch-size', v['batch-size']),
    lr: num('--lr', v.lr),
    backboneLr: num('--backbone-lr', v['backbone-lr']),
    freezeEpochs: num('--freeze-epochs', v['freeze-epochs']),
    warmStart: v['no-warm-start'] ? false : undefined,
    optimizer: v.optimizer as OptimizerName | undefined,
    schedule: v.schedule as ScheduleName | undefined,
    weightDecay: num('--weight-decay', v['weight-decay']),
    labelSmoothing: num('--label-smoothing', v['label-smoothing']),
    dropout: num('--dropout', v.dropout),
    hiddenUnits: hidden,
    augViews: num('--aug-views', v['aug-views']),
    mirrorView: v['mirror-view'] ? true : v['no-mirror-view'] ? false : undefined,
    patience: num('--patience', v.patience),
    openSetMethod: v['ood-method'] as OpenSetMethod | undefined,
    valSplit: num('--val-split', v['val-split']),
    seed: num('--seed', v.seed),
    backend: v.backend as BackendName | undefined,
    resume: v.resume ?? false,
    exportOnnx: !v['no-export'],
  };
  // Drop unset keys so defaults apply (and resume keeps the saved options).
  const clean = Object.fromEntries(
    Object.entries(options).filter(([, x]) => x !== undefined),
  ) as typeof options;
  return { options: clean, json: v.json ?? false };
}

const EXPECTED_ERRORS = [
  TrainOptionsError,
  DatasetError,
  BackboneError,
  RunDirError,
  ModelFileError,
  ModelBuildError,
];

export async function run(argv: string[]): Promise<number> {
  const { options, json } = parseTrainArgs(argv);
  const reporter = createReporter(json);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    reporter.line('interrupt: finishing the current step and saving (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const result = await train({
      ...options,
      onProgress: (e: TrainEvent) => reporter.event(e),
      ...(json ? {} : { onDownload: progressBar() }),
      signal: controller.signal,
    });
    reporter.finish();
    if (result.interrupted) {
      reporter.line(
        `interrupted: state saved after epoch ${result.epochsRun}; continue with --resume --out ${result.runDir}`,
      );
      return 130;
    }
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          type: 'result',
          runDir: result.runDir,
          valAccuracy: result.valAccuracy,
          bestEpoch: result.bestEpoch,
          durationSeconds: result.durationSeconds,
          perClass: result.metrics.perClass,
          confusion: result.metrics.confusion,
          skipped: result.skipped,
          featureCache: result.featureCache ?? null,
          onnx: result.onnxPath ?? null,
        })}\n`,
      );
    } else {
      const out = process.stdout;
      out.write(`\n${formatMetrics(result.labels, result.metrics)}\n\n`);
      if (result.skipped.length > 0) {
        out.write(`skipped ${result.skipped.length} file(s):\n`);
        for (const s of result.skipped) out.write(`  ${s.path}: ${s.reason}\n`);
      }
      out.write(
        `run ${result.runDir}: best epoch ${result.bestEpoch}, val accuracy ${result.valAccuracy.toFixed(4)}, ${result.durationSeconds.toFixed(1)} s\n`,
      );
    }
    return 0;
  } catch (error) {
    reporter.finish();
    if (EXPECTED_ERRORS.some((E) => error instanceof E)) throw new CliError((error as Error).message, 1);
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
