/**
 * `@ferry/model`: what the `ferry` CLI and a web page both run, the same functions in both.
 * Browser-safe: no Node built-ins; tfjs, where needed, is handed in by the caller.
 */
export { BACKBONES, type BackboneInfo, DEFAULT_BACKBONE, findBackbone } from './backbones.js';
export { matMulTransposed } from './head/head-kernels.js';
export {
  LinearHead,
  type LinearHeadOptions,
  type OptimizerName,
  type StepResult,
} from './head/linear-head.js';
export { learningRateAt, type ScheduleName, type ScheduleOptions } from './head/schedule.js';
export { computeMetrics, formatMetrics, type Metrics } from './metrics.js';
export { type SplitSample, stratifiedSplit } from './split.js';
