/** `@ferry/trainer/ood`: fitting, measuring and storing the open-set answer (bench, eval, tests). */
export { type CollectedPhotos, openPhotoScorer, type PhotoScorer } from './collect.js';
export {
  DEFAULT_OPEN_SET_METHOD,
  fitOpenSet,
  MAX_VAL_REJECTED,
  type OpenSetFit,
  type OpenSetFitInput,
} from './fit.js';
export { measureOpenSet, type OpenSetFigures } from './measure.js';
export {
  DEFAULT_KNN_K,
  type FeatureMatrix,
  fitOpenSetMethod,
  normalizeRows,
  type OpenSetParams,
  scoreOpenSet,
} from './methods/index.js';
export { OPEN_SET_DIR, readOpenSetParams, writeOpenSetParams } from './store.js';
