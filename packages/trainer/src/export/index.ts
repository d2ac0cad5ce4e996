/**
 * TensorFlow.js LayersModel -> ONNX, in TypeScript. `exportRunToOnnx` turns a `ferry train` run
 * directory into one self-describing `.onnx` file; `convertLayersModelToOnnx` (from
 * @ferry/model, re-exported here) converts any loaded LayersModel.
 */
export {
  type ConversionResult,
  type ConversionStats,
  type ConvertOptions,
  convertLayersModelToOnnx,
  DEFAULT_OPSET,
  decodeOnnxModel,
  ExportError,
  encodeOnnxModel,
  type LayerContext,
  type LayerConverter,
  MAX_OPSET,
  MIN_OPSET,
  PRECISIONS,
  type Precision,
  registerLayerConverter,
  supportedLayerClasses,
  UnsupportedLayerError,
} from '@ferry/model';
export { hfConfigs, hfModelSpec } from './hf-folder.js';
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportResult,
  type ExportRunOptions,
  exportRunToOnnx,
  readRunSpec,
} from './run-export.js';
