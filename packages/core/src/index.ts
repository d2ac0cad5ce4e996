export type { ClassifyResponse } from './answer.js';
export { type BoxReducer, boxReduce, createBoxReducer } from './box-reduce.js';
export {
  type Classification,
  type Classifier,
  type ClassifierOptions,
  createClassifier,
  type SessionLike,
  type TensorConstructor,
} from './classifier.js';
export {
  boxReducedSize,
  boxReduceFactor,
  type DecodeRule,
  decodeRuleForPipeline,
  formatJpegScale,
  type JpegEighths,
  jpegScaledSize,
  jpegScaleEighths,
} from './decode-scale.js';
export { assertImage, createImage, type Image, ImageError, toRgb } from './image.js';
export {
  IMAGE_MIME_TYPES,
  type ImageFormat,
  type ImageHeader,
  readImageHeader,
  sniffImageFormat,
  type WebpCoding,
} from './image-header.js';
export {
  BODY_TIMEOUT_SECONDS,
  CLI_MAX_PIXELS,
  DEFAULT_TOP_K,
  MAX_DECODES,
  MAX_PIXELS,
  MAX_QUEUE,
  MAX_UPLOAD_BYTES,
  PAGE_MAX_UPLOAD_BYTES,
  QUEUE_WAIT_SECONDS,
  WORKERS_MAX_DECODES,
  WORKERS_MAX_PIXELS,
  WORKERS_MAX_QUEUE,
} from './limits.js';
export { readModelSpecFromOnnx, readOnnxMetadata } from './onnx-metadata.js';
export * from './open-set/index.js';
export { argmax, type Prediction, softmax, topK } from './postprocess.js';
export { createRandom, type Random, shuffleInPlace } from './random.js';
export * from './spec/index.js';
export * from './transforms/index.js';

/** Version of the Ferry toolchain; written into exported model provenance. */
export const FERRY_VERSION = '0.1.0';
