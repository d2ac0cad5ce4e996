/** Programmatic API of the trainer: the same runs as `ferry train` / `ferry eval`, no subprocess. */

export {
  BACKBONES,
  type BackboneInfo,
  computeMetrics,
  DEFAULT_BACKBONE,
  findBackbone,
  formatMetrics,
  type Metrics,
  ModelBuildError,
  stratifiedSplit,
} from '@ferry/model';
export {
  DownloadError,
  type DownloadOptions,
  type DownloadProgress,
  downloadFile,
  progressBar,
} from './backbones/download.js';
export { BackboneError, cacheDir, type ResolvedBackbone, resolveBackbone } from './backbones/resolve.js';
export { type BackendName, type SelectedBackend, selectBackend } from './backend/index.js';
export { CliError, runAsProcess } from './cli-support.js';
export { createReporter, type Reporter } from './commands/progress.js';
export {
  type Dataset,
  DatasetError,
  describeBalance,
  type LoadDatasetOptions,
  loadDataset,
  type Sample,
} from './data/dataset.js';
export { DecodeError, decodeImageBuffer, decodeImageFile } from './data/decode.js';
export { type LoadedSample, loadSamples, type SkippedFile } from './data/loader.js';
export { loadLayersModelFromDir, ModelFileError, saveLayersModelToDir } from './io/layers-model-io.js';

export { type EvalResult, evaluateRun } from './train/evaluate.js';
export { type TrainEvent, type TrainMode, type TrainOptions, TrainOptionsError } from './train/options.js';
export { type EpochRecord, RunDirError, type TrainResult, train, type ValPrediction } from './train/train.js';
