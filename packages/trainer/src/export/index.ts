/**
 * TensorFlow.js LayersModel -> ONNX, in TypeScript. `exportRunToOnnx` turns a `ferry train` run
 * directory into one self-describing `.onnx` file; `convertLayersModelToOnnx` converts any
 * loaded LayersModel.
 */
export {
  type ConversionResult,
  type ConversionStats,
  type ConvertOptions,
  convertLayersModelToOnnx,
  DEFAULT_OPSET,
  ExportError,
  MAX_OPSET,
  MIN_OPSET,
} from './convert.js';
export { hfConfigs, hfModelSpec } from './hf-folder.js';
export { registerLayerConverter, supportedLayerClasses } from './layers/registry.js';
export type { LayerContext, LayerConverter } from './layers/types.js';
export { UnsupportedLayerError } from './layers/types.js';
export { decodeOnnxModel, encodeOnnxModel } from './onnx-proto.js';
export { PRECISIONS, type Precision } from './precision/weight-precision.js';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportResult,
  type ExportRunOptions,
  exportRunToOnnx,
  readRunSpec,
} from './run-export.js';
