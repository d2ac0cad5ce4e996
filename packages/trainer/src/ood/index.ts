/**
 * `@ferry/trainer/ood`: fitting, measuring and storing the open-set answer (bench, eval, tests).
 * The fit and the methods are @ferry/model's, re-exported here.
 */

export {
  DEFAULT_KNN_K,
  DEFAULT_OPEN_SET_METHOD,
  type FeatureMatrix,
  fitOpenSet,
  fitOpenSetMethod,
  MAX_VAL_REJECTED,
  normalizeRows,
  type OpenSetFit,
  type OpenSetFitInput,
  type OpenSetParams,
  scoreOpenSet,
} from '@ferry/model';
export { type CollectedPhotos, openPhotoScorer, type PhotoScorer } from './collect.js';
export { measureOpenSet, type OpenSetFigures } from './measure.js';
export { OPEN_SET_DIR, readOpenSetParams, writeOpenSetParams } from './store.js';
