/**
 * `@ferry/model`: what the `ferry` CLI and a web page both run, the same functions in both.
 * Browser-safe: no Node built-ins; tfjs, where needed, is handed in by the caller.
 */
export { BACKBONES, type BackboneInfo, DEFAULT_BACKBONE, findBackbone } from './backbones.js';
export {
  buildClassifier,
  buildHead,
  copyWeightsByName,
  cutBackbone,
  featureDim,
  type HeadOptions,
  inputSize,
  ModelBuildError,
} from './classifier.js';
export {
  type ConversionResult,
  type ConversionStats,
  type ConvertOptions,
  convertLayersModelToOnnx,
  DEFAULT_OPSET,
  ExportError,
  MAX_OPSET,
  MIN_OPSET,
} from './export/convert.js';
export { registerLayerConverter, supportedLayerClasses } from './export/layers/registry.js';
export { type LayerContext, type LayerConverter, UnsupportedLayerError } from './export/layers/types.js';
export { decodeOnnxModel, encodeOnnxModel } from './export/onnx-proto.js';
export { PRECISIONS, type Precision } from './export/precision/weight-precision.js';
export {
  type ClassFolders,
  checkClasses,
  classBalance,
  DatasetError,
  type FolderDataset,
  folderDataset,
  IMAGE_EXTENSIONS,
  isPhotoFileName,
  type LabelledPath,
} from './folders.js';
export { DEFAULT_SEED, DEFAULT_VAL_SPLIT, FEATURES_MODE_DEFAULTS } from './head/defaults.js';
export {
  denseLogits,
  epochOrder,
  type FeatureHeadEpoch,
  type FeatureHeadFit,
  type FeatureHeadFitInput,
  type FeatureHeadOptions,
  fitFeatureHead,
  isBetterEpoch,
  type ScheduledLinearStep,
  type ScoredVal,
  scheduledLinearStep,
  scoreLogits,
} from './head/fit-features.js';
export {
  LinearHead,
  type LinearHeadOptions,
  type OptimizerName,
  type StepResult,
} from './head/linear-head.js';
export { learningRateAt, type ScheduleName, type ScheduleOptions } from './head/schedule.js';
export { computeMetrics, formatMetrics, type Metrics } from './metrics.js';
export {
  DEFAULT_OPEN_SET_METHOD,
  fitOpenSet,
  MAX_VAL_REJECTED,
  type OpenSetFit,
  type OpenSetFitInput,
} from './open-set/fit.js';
export {
  DEFAULT_KNN_K,
  type FeatureMatrix,
  fitOpenSetMethod,
  normalizeRows,
  type OpenSetParams,
  type ScoreInput,
  scoreOpenSet,
} from './open-set/methods/index.js';
export { type RunSpecInput, runModelSpec } from './run-spec.js';
export { type SplitSample, stratifiedSplit } from './split.js';
