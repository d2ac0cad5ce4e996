import { attr, type GraphTensor } from '../graph-builder.js';
import { explicitPads } from './same-padding.js';
import {
  type LayerContext,
  pair,
  require4d,
  requireChannelsLast,
  single,
  UnsupportedLayerError,
} from './types.js';

/** MaxPool / AveragePool with TF padding. TF's average pooling ignores padded cells, as ONNX's default does. */
export function emitPool(ctx: LayerContext, opType: 'MaxPool' | 'AveragePool'): GraphTensor {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const kernel = pair(ctx.config.poolSize, 2);
  const strides =
    ctx.config.strides === null || ctx.config.strides === undefined ? kernel : pair(ctx.config.strides, 1);
  let pads: number[] | null;
  try {
    pads = explicitPads(
      String(ctx.config.padding ?? 'valid'),
      [x.shape[1] ?? null, x.shape[2] ?? null],
      kernel,
      strides,
    );
  } catch (error) {
    throw new UnsupportedLayerError(ctx.className, ctx.name, (error as Error).message, ctx.config);
  }
  const attributes = [
    attr.ints('kernel_shape', kernel),
    attr.ints('strides', strides),
    pads ? attr.ints('pads', pads) : attr.string('auto_pad', 'SAME_UPPER'),
  ];
  if (opType === 'AveragePool') attributes.push(attr.int('count_include_pad', 0));
  return {
    name: ctx.b.op(opType, [x.name], ctx.name, attributes),
    layout: 'nchw',
    shape: ctx.outputShapes[0] ?? [],
  };
}

/** Global pooling to [N, C] (or [N, 1, 1, C] with keepDims). */
export function emitGlobalPool(
  ctx: LayerContext,
  opType: 'GlobalAveragePool' | 'GlobalMaxPool',
): GraphTensor {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const pooled = ctx.b.op(opType, [x.name], ctx.config.keepDims ? ctx.name : `${ctx.name}/pool`);
  const shape = ctx.outputShapes[0] ?? [];
  if (ctx.config.keepDims) return { name: pooled, layout: 'nchw', shape };
  return { name: ctx.b.op('Flatten', [pooled], ctx.name, [attr.int('axis', 1)]), layout: 'plain', shape };
}
