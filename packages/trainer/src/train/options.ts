/** Training options, their defaults, and validation shared by the CLI and the programmatic API. */

import { OPEN_SET_METHODS, type OpenSetMethod } from '@ferry/core';
import type { OptimizerName, ScheduleName } from '@ferry/model';
import { DEFAULT_SEED, DEFAULT_VAL_SPLIT, FEATURES_MODE_DEFAULTS } from '@ferry/model';
import type { DownloadProgress } from '../backbones/download.js';
import type { BackendName } from '../backend/names.js';

export type TrainMode = 'features' | 'freeze' | 'finetune';

/** The two phases of a warm-started finetune run; events of one-phase runs carry none. */
export type TrainPhase = 'warm-start' | 'finetune';

export type TrainEvent =
  | {
      type: 'start';
      mode: TrainMode;
      backend: string;
      labels: string[];
      trainCount: number;
      valCount: number;
    }
  | { type: 'log'; message: string }
  | { type: 'skip'; path: string; reason: string }
  | { type: 'features'; done: number; total: number; cached: number }
  | { type: 'phase'; phase: TrainPhase; index: number; phases: number; epochs: number }
  | {
      type: 'batch';
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      loss: number;
      phase?: TrainPhase;
    }
  | {
      type: 'epoch';
      phase?: TrainPhase;
      epoch: number;
      epochs: number;
      trainLoss: number;
      trainAccuracy: number;
      valLoss: number;
      valAccuracy: number;
      lr: number;
      imagesPerSecond: number;
      /** How long the epoch took (a rate over a sub-millisecond epoch means nothing). */
      seconds: number;
      etaSeconds: number;
      best: boolean;
    }
  | { type: 'done'; valAccuracy: number; bestEpoch: number; durationSeconds: number; runDir: string };

export interface TrainOptions {
  /** Folder-per-class dataset (or with train/ and val/). */
  data?: string;
  /** CSV manifest `file,label` instead of `data`. */
  csv?: string;
  /** Run directory. */
  out: string;
  backbone?: string;
  featureLayer?: string;
  mode?: TrainMode;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** finetune: backbone learning rate (default lr / 10). */
  backboneLr?: number;
  optimizer?: OptimizerName;
  schedule?: ScheduleName;
  weightDecay?: number;
  labelSmoothing?: number;
  dropout?: number;
  hiddenUnits?: number[];
  valSplit?: number;
  seed?: number;
  backend?: BackendName;
  /** features mode: augmented views per training image (plus the plain eval view). */
  augViews?: number;
  /** features mode: also the plain view mirrored left to right (default false). */
  mirrorView?: boolean;
  /** finetune: train the head alone for the first N epochs (backbone recomputed, finetune's views). */
  freezeEpochs?: number;
  /**
   * finetune: first train the head exactly as `features` mode does (cached frozen features, its
   * defaults), then fine-tune every layer from that head (default true; false = random head).
   */
  warmStart?: boolean;
  /** Stop after this many epochs without a better val accuracy (0 = off). */
  patience?: number;
  /** Continue the interrupted run in `out`. */
  resume?: boolean;
  /** Parallel decodes in flight (default 2x cores). */
  concurrency?: number;
  /** Write model.onnx at the end (default true). */
  exportOnnx?: boolean;
  /** Write report.html (default true). */
  report?: boolean;
  /** Open-set scorer fitted at the end (default: @ferry/model's DEFAULT_OPEN_SET_METHOD). */
  openSetMethod?: OpenSetMethod;
  onProgress?: (event: TrainEvent) => void;
  /** Backbone download progress (the CLI draws a bar on a TTY). */
  onDownload?: (progress: DownloadProgress) => void;
  /** Abort = save state and stop cleanly (Ctrl-C). */
  signal?: AbortSignal;
}

export type ResolvedTrainOptions = Required<
  Omit<
    TrainOptions,
    'data' | 'csv' | 'featureLayer' | 'onProgress' | 'onDownload' | 'signal' | 'backboneLr' | 'openSetMethod'
  >
> &
  Pick<
    TrainOptions,
    'data' | 'csv' | 'featureLayer' | 'onProgress' | 'onDownload' | 'signal' | 'openSetMethod'
  > & {
    backboneLr: number;
  };

export class TrainOptionsError extends Error {
  override name = 'TrainOptionsError';
}

/** features mode's default random-crop views per image (besides the plain one). */
export const FEATURES_AUG_VIEWS = FEATURES_MODE_DEFAULTS.augViews;

/**
 * features mode's default learning rate (the head alone, one view per photo: see below). Every
 * features-mode default lives in @ferry/model's FEATURES_MODE_DEFAULTS, which the page uses too.
 */
export const FEATURES_LR = FEATURES_MODE_DEFAULTS.lr;

/** The head-only rate of finetune's warm start (three views per photo; measured below). */
export const WARM_START_LR = 0.001;

/**
 * The views finetune trains on and its warm start's head learns from: the plain view one time
 * in 1 + FINETUNE_AUG_VIEWS, a mild RandomResizedCrop otherwise (the measurements below).
 */
export const FINETUNE_AUG_VIEWS = 2;

/**
 * features mode: the plain (eval) view of each training photo, once, at lr 3e-3. Every extra
 * view costs a backbone pass (a mirror also a flip, a random crop a resize), and with the backbone
 * on onnxruntime-node the views are most of a run. Best val accuracy of the default head (the
 * TypeScript head, 40 epochs) over seeds 42 and 1-8, mean / worst (seed 42):
 *   plain view, lr 3e-3 (default):  ants/bees 0.925 / 0.908 (0.915), flowers 0.958 / 0.954 (0.963)
 *   plain view, lr 2e-3:            ants/bees 0.925 / 0.902 (0.908), flowers 0.954 / 0.946 (0.963)
 *   plain view, lr 2e-3, 60 epochs: ants/bees 0.924 / 0.902 (0.915), flowers 0.957 / 0.950 (0.958)
 *   plain view, lr 1e-3:            ants/bees 0.916 / 0.876 (0.908), flowers 0.949 / 0.938 (0.958)
 *   plain + mirror, lr 1e-3 (the default before): ants/bees 0.920 / 0.908 (0.915),
 *                                   flowers 0.956 / 0.950 (0.954), at 1.6-1.75x the backbone passes
 * One view has half the rows of plain + mirror, so half the steps per epoch; a higher rate makes
 * up for it. Plain + 2 random crops, the default before that: ants/bees 0.928 (seeds 42, 7),
 * flowers 0.958 / 0.963, at 3x the backbone passes. (All with every JPEG through the wasm
 * libjpeg-turbo at full size, data/decode.ts. With the M/8 decode rule, which decodes the 500x375
 * ants/bees photos at 6/8, the default gives ants/bees 0.921 / 0.902 (0.922), flowers unchanged:
 * bench/REPORT.md §2, 2026-12-01 16:06.)
 *
 * finetune: 5 epochs at lr 1e-4 (backbone lr/10) after its warm start, on features mode's views
 * (pipelines.ts). Measured on ants/bees, best val accuracy / lowest val loss for seeds 42 and 7, against
 * features mode's 0.928 / 0.928 (its best epochs' losses 0.240 / 0.233):
 *   RandomResizedCrop(0.08-1) views, lr 5e-4: 0.922 / 0.902 (val loss 0.241 / 0.264)
 *   features mode's views, lr 5e-4:           0.935 / 0.915 (0.236 / 0.250)
 *   features mode's views, lr 1e-4:           0.928 / 0.928 (0.236 / 0.239)
 * At 5e-4 the first all-layer epoch knocks the warm head back (seed 7: 0.928 -> 0.882); at 1e-4
 * it does not, and both seeds reach the features-mode accuracy.
 */
export function resolveTrainOptions(o: TrainOptions): ResolvedTrainOptions {
  const mode = o.mode ?? 'features';
  const features = mode === 'features';
  const lr = o.lr ?? (mode === 'finetune' ? 0.0001 : features ? FEATURES_LR : 0.001);
  const r: ResolvedTrainOptions = {
    ...o,
    out: o.out,
    backbone: o.backbone ?? 'mobilenet_v2_0.35_224',
    mode,
    epochs: o.epochs ?? (features ? FEATURES_MODE_DEFAULTS.epochs : 5),
    batchSize: o.batchSize ?? (features ? FEATURES_MODE_DEFAULTS.batchSize : 16),
    lr,
    backboneLr: o.backboneLr ?? lr / 10,
    optimizer: o.optimizer ?? FEATURES_MODE_DEFAULTS.optimizer,
    schedule: o.schedule ?? FEATURES_MODE_DEFAULTS.schedule,
    weightDecay: o.weightDecay ?? (features ? FEATURES_MODE_DEFAULTS.weightDecay : 0.01),
    labelSmoothing: o.labelSmoothing ?? FEATURES_MODE_DEFAULTS.labelSmoothing,
    dropout: o.dropout ?? 0,
    hiddenUnits: o.hiddenUnits ?? [],
    valSplit: o.valSplit ?? DEFAULT_VAL_SPLIT,
    seed: o.seed ?? DEFAULT_SEED,
    backend: o.backend ?? 'auto',
    augViews: o.augViews ?? (features ? FEATURES_AUG_VIEWS : 0),
    mirrorView: o.mirrorView ?? FEATURES_MODE_DEFAULTS.mirrorView,
    freezeEpochs: o.freezeEpochs ?? 0,
    warmStart: o.warmStart ?? mode === 'finetune',
    patience: o.patience ?? 0,
    resume: o.resume ?? false,
    concurrency: o.concurrency ?? 0,
    exportOnnx: o.exportOnnx ?? true,
    report: o.report ?? true,
  };
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new TrainOptionsError(`${name} must be a positive integer, got ${v}`);
  };
  const nonNegInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0)
      throw new TrainOptionsError(`${name} must be a non-negative integer, got ${v}`);
  };
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0))
      throw new TrainOptionsError(`${name} must be a positive number, got ${v}`);
  };
  if (r.openSetMethod !== undefined && !OPEN_SET_METHODS.includes(r.openSetMethod))
    throw new TrainOptionsError(
      `--ood-method must be one of ${OPEN_SET_METHODS.join(', ')}, got "${r.openSetMethod}"`,
    );
  if (!['features', 'freeze', 'finetune'].includes(r.mode))
    throw new TrainOptionsError(`--mode must be features, freeze or finetune, got "${r.mode}"`);
  if (!['sgd', 'adam', 'adamw'].includes(r.optimizer))
    throw new TrainOptionsError(`--optimizer must be sgd, adam or adamw, got "${r.optimizer}"`);
  if (!['none', 'step', 'cosine', 'onecycle'].includes(r.schedule))
    throw new TrainOptionsError(`--schedule must be none, step, cosine or onecycle, got "${r.schedule}"`);
  positiveInt('--epochs', r.epochs);
  positiveInt('--batch-size', r.batchSize);
  positive('--lr', r.lr);
  positive('--backbone-lr', r.backboneLr);
  nonNegInt('--aug-views', r.augViews);
  nonNegInt('--freeze-epochs', r.freezeEpochs);
  nonNegInt('--patience', r.patience);
  nonNegInt('--seed', r.seed);
  if (!(r.weightDecay >= 0)) throw new TrainOptionsError(`--weight-decay must be >= 0, got ${r.weightDecay}`);
  if (!(r.labelSmoothing >= 0 && r.labelSmoothing < 1))
    throw new TrainOptionsError(`--label-smoothing must be in [0, 1), got ${r.labelSmoothing}`);
  if (!(r.dropout >= 0 && r.dropout < 1))
    throw new TrainOptionsError(`--dropout must be in [0, 1), got ${r.dropout}`);
  if (!(r.valSplit > 0 && r.valSplit < 1))
    throw new TrainOptionsError(`--val-split must be in (0, 1), got ${r.valSplit}`);
  if (r.freezeEpochs > 0 && r.mode !== 'finetune')
    throw new TrainOptionsError('--freeze-epochs only applies to --mode finetune');
  if (o.mirrorView !== undefined && r.mode !== 'features')
    throw new TrainOptionsError(
      '--mirror-view / --no-mirror-view (mirrorView) only applies to --mode features',
    );
  if (o.warmStart !== undefined && r.mode !== 'finetune')
    throw new TrainOptionsError('--no-warm-start (warmStart) only applies to --mode finetune');
  if (!r.data && !r.csv) throw new TrainOptionsError('pass --data DIR or --csv FILE');
  if (!r.out) throw new TrainOptionsError('pass --out RUN_DIR');
  return r;
}
