export type { ClassifyResponse } from './answer.js';
export {
  type Classification,
  type Classifier,
  type ClassifierOptions,
  createClassifier,
  type SessionLike,
  type TensorConstructor,
} from './classifier.js';
export { assertImage, createImage, type Image, ImageError, toRgb } from './image.js';
export {
  IMAGE_MIME_TYPES,
  type ImageFormat,
  type ImageHeader,
  readImageHeader,
  sniffImageFormat,
} from './image-header.js';
export {
  CLI_MAX_PIXELS,
  DEFAULT_TOP_K,
  MAX_PIXELS,
  MAX_UPLOAD_BYTES,
  PAGE_MAX_UPLOAD_BYTES,
} from './limits.js';
export { readModelSpecFromOnnx, readOnnxMetadata } from './onnx-metadata.js';
export { argmax, type Prediction, softmax, topK } from './postprocess.js';
export { createRandom, type Random, shuffleInPlace } from './random.js';
export * from './spec/index.js';
export * from './transforms/index.js';

/** Version of the Ferry toolchain; written into exported model provenance. */
export const FERRY_VERSION = '0.1.0';
