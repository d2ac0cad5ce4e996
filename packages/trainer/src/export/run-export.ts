/** `exportRunToOnnx`: a run directory (spec.json + checkpoint/) -> one self-describing .onnx file. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ModelSpec, ModelSpecError, parseModelSpec } from '@ferry/core';
import {
  type ConversionStats,
  convertLayersModelToOnnx,
  DEFAULT_OPSET,
  ExportError,
  PRECISIONS,
  type Precision,
} from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadTfjs } from '../commonjs-packages.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { loadLayersModelFromDir, ModelFileError } from '../io/layers-model-io.js';
import { OpenSetParamsError, readOpenSetParams } from '../ood/store.js';
import { hfConfigs, hfModelSpec, writeHfFolder } from './hf-folder.js';

export interface ExportRunOptions {
  /** Run directory written by `ferry train` (spec.json + checkpoint/model.json). */
  runDir: string;
  /** Output file; default `<runDir>/model.onnx`. */
  out?: string;
  opset?: number;
  precision?: Precision;
  /** `onnx` (default): one file. `hf`: a transformers.js folder (`out` is the folder, default `<runDir>/hf`). */
  format?: ExportFormat;
}

export const EXPORT_FORMATS = ['onnx', 'hf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  /** The .onnx file, or the folder for `hf`. */
  path: string;
  /** The .onnx file written (inside the folder for `hf`). */
  modelPath: string;
  format: ExportFormat;
  bytes: number;
  opset: number;
  precision: Precision;
  spec: ModelSpec;
  stats: ConversionStats;
}

type Tf = typeof tfTypes;

/** Plain tfjs is enough to read weights; reuse whatever backend the process already set up. */
export async function loadTfForExport(): Promise<Tf> {
  const tf = loadTfjs();
  // Reading weights needs no speed: keep tfjs' "install tfjs-node" banner out of CLI output.
  tf.env().set('PROD', true);
  await tf.ready();
  return tf;
}

export async function readRunSpec(runDir: string): Promise<ModelSpec> {
  const path = join(runDir, 'spec.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExportError(
      code === 'ENOENT'
        ? `${path} does not exist; is ${runDir} a run directory written by \`ferry train\`?`
        : `cannot read ${path}: ${code ?? error}`,
    );
  }
  try {
    return parseModelSpec(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new ExportError(`${path} is not valid JSON (${error.message})`);
    if (error instanceof ModelSpecError) throw new ExportError(`${path}: ${error.message}`);
    throw error;
  }
}

export async function exportRunToOnnx(options: ExportRunOptions): Promise<ExportResult> {
  const runDir = resolve(options.runDir);
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) {
    throw new ExportError(`unknown precision "${precision}" (use ${PRECISIONS.join(', ')})`);
  }
  const format = options.format ?? 'onnx';
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ExportError(`unknown format "${format}" (use ${EXPORT_FORMATS.join(', ')})`);
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  const runSpec = await readRunSpec(runDir);
  const spec = format === 'hf' ? hfModelSpec(runSpec) : runSpec;
  // Fail on an inexpressible pipeline before the (slow) conversion.
  if (format === 'hf') hfConfigs(spec);
  let openSet: Awaited<ReturnType<typeof readOpenSetParams>>;
  try {
    openSet = spec.openSet ? await readOpenSetParams(runDir) : undefined;
  } catch (error) {
    if (error instanceof OpenSetParamsError) throw new ExportError(error.message);
    throw error;
  }
  if (spec.openSet && !openSet)
    throw new ExportError(`${runDir}/spec.json has an openSet section but ${runDir}/open-set/ is missing`);
  const tf = await loadTfForExport();
  let model: tfTypes.LayersModel;
  try {
    model = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
  } catch (error) {
    if (error instanceof ModelFileError) throw new ExportError(error.message);
    throw error;
  }
  try {
    const { bytes, stats } = convertLayersModelToOnnx(model, {
      spec,
      opset,
      precision,
      ...(openSet ? { openSet } : {}),
    });
    if (format === 'hf') {
      const path = resolve(options.out ?? join(runDir, 'hf'));
      await writeHfFolder(path, spec, bytes);
      const modelPath = join(path, 'onnx', 'model.onnx');
      return { path, modelPath, format, bytes: bytes.byteLength, opset, precision, spec, stats };
    }
    const path = resolve(options.out ?? join(runDir, 'model.onnx'));
    await writeFileAtomic(path, bytes);
    return { path, modelPath: path, format, bytes: bytes.byteLength, opset, precision, spec, stats };
  } finally {
    model.dispose();
  }
}
