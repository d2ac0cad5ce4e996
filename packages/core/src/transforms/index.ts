export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  type ColorJitterOptions,
  colorJitter,
} from './color-jitter.js';
export { centerCrop, crop, roundHalfEven, squareCrop } from './crop.js';
export { horizontalFlip, randomHorizontalFlip } from './flip.js';
export { applyOrientation } from './orientation.js';
export {
  applyTransform,
  applyTransforms,
  defaultEvalPipeline,
  defaultTrainPipeline,
  isRandomPipeline,
  pipelineOutputSize,
  RANDOM_OPS,
  type TransformOp,
  type TransformStep,
} from './pipeline.js';
export { type CropBox, randomResizedCrop, randomResizedCropBox } from './random-resized-crop.js';
export { resize, resizeShorterSide, resizeWindow, shorterSideSize } from './resize.js';
export {
  IMAGENET_MEAN_STD,
  type Layout,
  type Normalization,
  normalizationCoefficients,
  toTensor,
} from './to-tensor.js';
