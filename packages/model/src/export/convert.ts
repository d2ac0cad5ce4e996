/**
 * TensorFlow.js LayersModel -> ONNX ModelProto. Walks the Keras graph (functional models and
 * nested Sequential/functional sub-models), maps each layer application through the registry in
 * `layers/`, then optimises (pad and BatchNorm folding, dead-node pruning), optionally shrinks
 * the weights, and encodes with protobufjs.
 */
import {
  DEFAULT_IO_NAMES,
  FERRY_VERSION,
  type ModelSpec,
  ONNX_METADATA_KEYS,
  serializeModelSpec,
} from '@ferry/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { OpenSetParams } from '../open-set/methods/index.js';
import { attr, type GraphTensor, OnnxGraphBuilder, toKerasOrder } from './graph-builder.js';
import { getLayerConverter, supportedLayerClasses } from './layers/registry.js';
import { type LayerContext, type LayerWeight, UnsupportedLayerError } from './layers/types.js';
import { encodeOnnxModel, irVersionForOpset, OnnxDataType, type ValueInfoProtoObject } from './onnx-proto.js';
import { addOpenSetOutputs } from './open-set-graph.js';
import { foldBatchNormIntoConv } from './passes/fold-batch-norm.js';
import { foldPadIntoConv } from './passes/fold-pad.js';
import { guardPadBeforeMaxPool } from './passes/guard-pad-max-pool.js';
import { applyWeightPrecision, type Precision } from './precision/weight-precision.js';

export const DEFAULT_OPSET = 17;
/** Softmax-axis semantics and per-axis DequantizeLinear need 13; 21 is what onnxruntime 1.30 and onnx.checker here know. */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface ConvertOptions {
  /**
   * The model spec embedded in the file (labels, input size, normalization, ...). Required for
   * classifiers; the input name/layout and output names come from it.
   */
  spec?: ModelSpec;
  /** `classifier` (default): outputs logits + probabilities. `features`: one output named `features`. */
  kind?: 'classifier' | 'features';
  opset?: number;
  precision?: Precision;
  /** Input layout of the ONNX graph when there is no spec (default NHWC, like tfjs). */
  inputLayout?: 'NHWC' | 'NCHW';
  inputName?: string;
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
  /**
   * Open-set parameters fitted at training time (run dir `open-set/`); with `spec.openSet` they
   * add the `ood_score` and `calibrated_probabilities` outputs.
   */
  openSet?: OpenSetParams;
  /** Also output the pooled backbone features [batch, dim] under this name (bench, diagnostics). */
  featuresOutput?: string;
}

/** The classifier's pooling layer (classifier.ts): its output is what the open-set score reads. */
export const POOLED_FEATURES_LAYER = 'ferry_pool';

export interface ConversionStats {
  nodes: number;
  initializers: number;
  weightBytes: number;
  foldedBatchNorms: number;
  foldedPads: number;
  opTypes: Record<string, number>;
}

export interface ConversionResult {
  bytes: Uint8Array;
  stats: ConversionStats;
}

export class ExportError extends Error {
  override name = 'ExportError';
}

// tfjs keeps the graph bookkeeping on public-but-untyped fields; these are the parts we read.
interface SymbolicTensorLike {
  id: number;
  shape: Array<number | null>;
}
interface NodeLike {
  inputTensors: SymbolicTensorLike[];
  outputTensors: SymbolicTensorLike[];
}
interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  inboundNodes: NodeLike[];
  weights: Array<{ originalName?: string; name: string; shape: number[]; read(): tfTypes.Tensor }>;
}
interface ContainerLike extends LayerLike {
  layers: LayerLike[];
  inputs: SymbolicTensorLike[];
  outputs: SymbolicTensorLike[];
}

function isContainer(layer: LayerLike): layer is ContainerLike {
  const c = layer as Partial<ContainerLike>;
  return Array.isArray(c.layers) && Array.isArray(c.inputs) && Array.isArray(c.outputs);
}

function weightShortName(w: { originalName?: string; name: string }): string {
  const full = w.originalName ?? w.name;
  return (full.split('/').pop() ?? full).replace(/:\d+$/, '').replace(/_\d+$/, '');
}

function layerWeights(layer: LayerLike): Map<string, LayerWeight> {
  const map = new Map<string, LayerWeight>();
  for (const w of layer.weights) {
    const values = w.read().dataSync() as Float32Array;
    map.set(weightShortName(w), { values: Float32Array.from(values), shape: [...w.shape] });
  }
  return map;
}

function convertContainer(
  b: OnnxGraphBuilder,
  container: ContainerLike,
  inputs: GraphTensor[],
  taps?: Map<string, GraphTensor[]>,
): GraphTensor[] {
  const known = new Map<number, GraphTensor>();
  container.inputs.forEach((t, i) => {
    const input = inputs[i];
    if (!input) throw new ExportError(`model "${container.name}" has more inputs than were given`);
    known.set(t.id, input);
  });
  const done = new Set<NodeLike>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const layer of container.layers) {
      for (const node of layer.inboundNodes) {
        if (done.has(node)) continue;
        if (!node.inputTensors.every((t) => known.has(t.id))) continue;
        done.add(node);
        if (node.outputTensors.every((t) => known.has(t.id))) continue;
        const ins = node.inputTensors.map((t) => known.get(t.id) as GraphTensor);
        const outs =
          layer.getClassName() === 'InputLayer'
            ? ins
            : isContainer(layer)
              ? convertContainer(b, layer, ins, taps)
              : convertLayer(b, layer, ins, node);
        taps?.set(layer.name, outs);
        node.outputTensors.forEach((t, i) => {
          const out = outs[i];
          if (!out) throw new ExportError(`layer "${layer.name}" produced fewer outputs than Keras expects`);
          known.set(t.id, out);
        });
        progress = true;
      }
    }
  }
  return container.outputs.map((t) => {
    const out = known.get(t.id);
    if (!out) throw new ExportError(`model "${container.name}": could not reach its output from its inputs`);
    return out;
  });
}

function convertLayer(
  b: OnnxGraphBuilder,
  layer: LayerLike,
  inputs: GraphTensor[],
  node: NodeLike,
): GraphTensor[] {
  const className = layer.getClassName();
  const config = layer.getConfig();
  const converter = getLayerConverter(className);
  if (!converter) {
    throw new UnsupportedLayerError(
      className,
      layer.name,
      `layer class ${className} has no ONNX mapping (supported: ${supportedLayerClasses().join(', ')})`,
      config,
    );
  }
  let weights: Map<string, LayerWeight> | undefined;
  const ctx: LayerContext = {
    b,
    className,
    name: layer.name,
    config,
    inputs,
    outputShapes: node.outputTensors.map((t) => [...t.shape]),
    weight: (name) => {
      weights ??= layerWeights(layer);
      return weights.get(name);
    },
  };
  try {
    return converter(ctx);
  } catch (error) {
    if (error instanceof UnsupportedLayerError) throw error;
    throw new UnsupportedLayerError(className, layer.name, (error as Error).message, config);
  }
}

function tensorValueInfo(name: string, dims: Array<number | string>): ValueInfoProtoObject {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ExportError(
      `opset ${opset} is not supported; use an integer from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    );
  }
  return opset;
}

/** Converts a loaded tfjs LayersModel to ONNX bytes. */
export function convertLayersModelToOnnx(
  model: tfTypes.LayersModel,
  options: ConvertOptions = {},
): ConversionResult {
  const kind = options.kind ?? 'classifier';
  const spec = options.spec;
  if (kind === 'classifier' && !spec)
    throw new ExportError('a classifier export needs the model spec (labels, input)');
  const opset = checkOpset(options.opset ?? DEFAULT_OPSET);
  const root = model as unknown as ContainerLike;
  if (root.inputs.length !== 1 || root.outputs.length !== 1) {
    throw new ExportError(
      `expected a model with one input and one output, got ${root.inputs.length} and ${root.outputs.length}`,
    );
  }
  const kerasInput = root.inputs[0] as SymbolicTensorLike;
  if (kerasInput.shape.length !== 4 || kerasInput.shape[3] !== 3) {
    throw new ExportError(
      `model input must be an RGB image batch [batch, height, width, 3], got [${kerasInput.shape.join(', ')}]`,
    );
  }
  const height = kerasInput.shape[1] ?? spec?.input.height ?? null;
  const width = kerasInput.shape[2] ?? spec?.input.width ?? null;
  if (
    spec &&
    ((height !== null && height !== spec.input.height) || (width !== null && width !== spec.input.width))
  ) {
    throw new ExportError(
      `spec input ${spec.input.width}x${spec.input.height} does not match the model's input ${width}x${height}`,
    );
  }
  const inputName = spec?.input.name ?? options.inputName ?? DEFAULT_IO_NAMES.input;
  const layout = spec?.input.layout ?? options.inputLayout ?? 'NHWC';
  const outputNames =
    kind === 'classifier'
      ? [
          spec?.output.logits ?? DEFAULT_IO_NAMES.logits,
          spec?.output.probabilities ?? DEFAULT_IO_NAMES.probabilities,
        ]
      : ['features'];

  const b = new OnnxGraphBuilder(opset);
  b.reserve(inputName);
  for (const name of outputNames) b.reserve(name);
  const h = height ?? 'height';
  const w = width ?? 'width';
  const inputDims: Array<number | string> = layout === 'NCHW' ? ['batch', 3, h, w] : ['batch', h, w, 3];
  const imageShape = [null, height, width, 3];
  const first: GraphTensor =
    layout === 'NCHW'
      ? { name: inputName, layout: 'nchw', shape: imageShape }
      : {
          name: b.op('Transpose', [inputName], 'input/to_nchw', [attr.ints('perm', [0, 3, 1, 2])]),
          layout: 'nchw',
          shape: imageShape,
        };

  const taps = new Map<string, GraphTensor[]>();
  let [out] = convertContainer(b, root, [first], taps) as [GraphTensor];
  const graphOutputs: ValueInfoProtoObject[] = [];
  if (kind === 'classifier') {
    // A model ending in softmax (Keras' usual `activation: 'softmax'`) exports its input as logits.
    const last = b.producerOf(out.name);
    if (last?.opType === 'Softmax' && out.shape.length === 2)
      out = { ...out, name: last.inputs[0] as string };
    if (out.shape.length !== 2) {
      throw new ExportError(
        `a classifier must output [batch, classes]; this model outputs [${out.shape.join(', ')}]`,
      );
    }
    const classes = out.shape[1];
    const labels = spec?.labels ?? [];
    if (classes !== labels.length) {
      throw new ExportError(
        `the model outputs ${classes} classes but the spec lists ${labels.length} labels`,
      );
    }
    const [logitsName, probabilitiesName] = outputNames as [string, string];
    if (b.producerOf(out.name)) b.renameTensor(out.name, logitsName);
    else b.addNode('Identity', [out.name], { outputs: [logitsName] });
    b.addNode('Softmax', [logitsName], {
      name: 'probabilities',
      outputs: [probabilitiesName],
      attributes: [attr.int('axis', 1)],
    });
    graphOutputs.push(
      tensorValueInfo(logitsName, ['batch', classes]),
      tensorValueInfo(probabilitiesName, ['batch', classes]),
    );
    const pooled = taps.get(POOLED_FEATURES_LAYER)?.[0];
    const needsPooled = Boolean(options.featuresOutput || (spec?.openSet && options.openSet));
    if (needsPooled && (pooled?.shape.length !== 2 || pooled.layout !== 'plain')) {
      throw new ExportError(
        `the open-set score reads the pooled features of layer "${POOLED_FEATURES_LAYER}", which this model lacks`,
      );
    }
    if (spec?.openSet) {
      if (!options.openSet) {
        throw new ExportError(
          'the spec has an openSet section but no open-set parameters were given (run dir open-set/ missing?)',
        );
      }
      const os = spec.openSet;
      b.reserve(os.scoreOutput);
      b.reserve(os.probabilitiesOutput);
      addOpenSetOutputs(b, { features: pooled!.name, logits: logitsName, spec: os, params: options.openSet });
      graphOutputs.push(
        tensorValueInfo(os.scoreOutput, ['batch']),
        tensorValueInfo(os.probabilitiesOutput, ['batch', classes]),
      );
    }
    if (options.featuresOutput && pooled) {
      b.reserve(options.featuresOutput);
      b.addNode('Identity', [pooled.name], { outputs: [options.featuresOutput] });
      graphOutputs.push(tensorValueInfo(options.featuresOutput, ['batch', pooled.shape[1] ?? 'dim']));
    }
  } else {
    // Feature outputs keep Keras' (NHWC) order so they compare 1:1 with tfjs.
    out = toKerasOrder(b, out, 'features');
    const featuresName = outputNames[0] as string;
    if (b.producerOf(out.name)) b.renameTensor(out.name, featuresName);
    else b.addNode('Identity', [out.name], { outputs: [featuresName] });
    const dims: Array<number | string> = out.shape.map((d, i) => (i === 0 ? 'batch' : (d ?? `d${i}`)));
    graphOutputs.push(tensorValueInfo(featuresName, dims));
  }

  const outputList = graphOutputs.map((o) => o.name);
  b.prune(outputList);
  const foldedPads = foldPadIntoConv(b, outputList);
  guardPadBeforeMaxPool(b);
  const foldedBatchNorms = foldBatchNormIntoConv(b, outputList);
  b.prune(outputList);
  applyWeightPrecision(b, options.precision ?? 'fp32');

  const metadata: Record<string, string> = { ...options.metadata };
  if (spec) {
    metadata[ONNX_METADATA_KEYS.spec] = serializeModelSpec(spec);
    metadata[ONNX_METADATA_KEYS.specVersion] = String(spec.version);
    metadata[ONNX_METADATA_KEYS.labels] = JSON.stringify(spec.labels);
  }
  const initializers = b.toTensorProtos();
  const bytes = encodeOnnxModel({
    irVersion: irVersionForOpset(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'ferry',
    producerVersion: FERRY_VERSION,
    docString: spec
      ? `${spec.name}: image classifier over ${spec.labels.length} labels, exported by Ferry`
      : 'exported by Ferry',
    graph: {
      name: spec?.name ?? model.name,
      node: b.toNodeProtos(),
      initializer: initializers,
      input: [tensorValueInfo(inputName, inputDims)],
      output: graphOutputs,
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  const opTypes: Record<string, number> = {};
  for (const node of b.nodes) opTypes[node.opType] = (opTypes[node.opType] ?? 0) + 1;
  return {
    bytes,
    stats: {
      nodes: b.nodes.length,
      initializers: initializers.length,
      weightBytes: initializers.reduce((sum, t) => sum + (t.rawData?.byteLength ?? 0), 0),
      foldedBatchNorms,
      foldedPads,
      opTypes,
    },
  };
}
