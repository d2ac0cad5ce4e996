export { type CreateModelSpecOptions, createModelSpec } from './create.js';
export {
  type BackboneSpec,
  type ClassMetrics,
  DEFAULT_IO_NAMES,
  type HeadSpec,
  MODEL_SPEC_FORMAT,
  MODEL_SPEC_VERSION,
  type ModelInputSpec,
  type ModelSpec,
  ONNX_METADATA_KEYS,
  OPEN_SET_METHODS,
  type OpenSetMethod,
  type OpenSetSpec,
  type TrainingProvenance,
} from './model-spec.js';
export {
  ModelSpecError,
  parseModelSpec,
  parseTransformStep,
  parseTransformSteps,
  serializeModelSpec,
} from './parse.js';
