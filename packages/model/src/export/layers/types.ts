import type { GraphTensor, OnnxGraphBuilder } from '../graph-builder.js';

export interface LayerWeight {
  values: Float32Array;
  /** Keras shape (e.g. conv kernels are [kh, kw, in, out]). */
  shape: number[];
}

/** Everything a layer converter sees about one application of one Keras layer. */
export interface LayerContext {
  b: OnnxGraphBuilder;
  className: string;
  /** Layer name, used to name ONNX nodes so the graph reads like the Keras model. */
  name: string;
  /** The layer's `getConfig()` (tfjs camelCase keys). */
  config: Record<string, unknown>;
  inputs: GraphTensor[];
  /** Keras-order output shapes of this application. */
  outputShapes: Array<Array<number | null>>;
  /** The layer's weights by short name (`kernel`, `bias`, `gamma`, `moving_mean`, ...). */
  weight(name: string): LayerWeight | undefined;
}

export type LayerConverter = (ctx: LayerContext) => GraphTensor[];

/** A Keras layer (or configuration) the exporter cannot translate. */
export class UnsupportedLayerError extends Error {
  override name = 'UnsupportedLayerError';
  constructor(
    readonly className: string,
    readonly layerName: string,
    reason: string,
    readonly config?: Record<string, unknown>,
  ) {
    super(
      `cannot export layer "${layerName}" (${className}): ${reason}` +
        (config ? `; its configuration: ${summarizeConfig(config)}` : ''),
    );
  }
}

function summarizeConfig(config: Record<string, unknown>): string {
  const skip = /Initializer$|Regularizer$|Constraint$|^trainable$|^name$/;
  const kept = Object.fromEntries(Object.entries(config).filter(([k, v]) => !skip.test(k) && v !== null));
  return JSON.stringify(kept);
}

export function requireWeight(ctx: LayerContext, name: string): LayerWeight {
  const w = ctx.weight(name);
  if (!w) throw new UnsupportedLayerError(ctx.className, ctx.name, `missing weight "${name}"`);
  return w;
}

export function single(ctx: LayerContext): GraphTensor {
  if (ctx.inputs.length !== 1) {
    throw new UnsupportedLayerError(ctx.className, ctx.name, `expects one input, got ${ctx.inputs.length}`);
  }
  return ctx.inputs[0] as GraphTensor;
}

export function outputShape(ctx: LayerContext, index = 0): Array<number | null> {
  return ctx.outputShapes[index] ?? [];
}

export function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

export function requireChannelsLast(ctx: LayerContext): void {
  const format = ctx.config.dataFormat;
  if (format !== undefined && format !== 'channelsLast' && format !== 'channels_last') {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `data format ${String(format)} is not supported`,
      ctx.config,
    );
  }
}

export function require4d(ctx: LayerContext, t: GraphTensor): void {
  if (t.shape.length !== 4 || t.layout !== 'nchw') {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `expects a 4-D image tensor, got shape [${t.shape.join(',')}]`,
    );
  }
}
