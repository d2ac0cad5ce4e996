/**
 * TensorFlow.js LayersModel -> ONNX. Owned by the export work (issue 4); this is the contract
 * the trainer and other packages code against.
 */
export interface ExportRunOptions {
  /** Run directory written by `ferry train` (spec.json + checkpoint/model.json). */
  runDir: string;
  /** Output file; default `<runDir>/model.onnx`. */
  out?: string;
  opset?: number;
  precision?: 'fp32' | 'fp16' | 'int8';
}

export interface ExportResult {
  path: string;
  bytes: number;
}

export async function exportRunToOnnx(_options: ExportRunOptions): Promise<ExportResult> {
  throw new Error('ONNX export is not implemented yet');
}
