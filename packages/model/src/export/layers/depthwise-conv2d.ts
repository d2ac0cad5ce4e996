import { applyActivation } from './activations.js';
import { depthwiseKernelToOnnx, emitConv } from './conv-common.js';
import { type LayerConverter, require4d, requireChannelsLast, requireWeight, single } from './types.js';

/** DepthwiseConv2D = a grouped convolution with one group per input channel. */
export const convertDepthwiseConv2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const kernel = requireWeight(ctx, 'depthwise_kernel');
  const bias = ctx.config.useBias === false ? undefined : ctx.weight('bias')?.values;
  const channels = kernel.shape[2] as number;
  const y = emitConv(ctx, x, {
    weights: depthwiseKernelToOnnx(kernel.values, kernel.shape),
    bias,
    group: channels,
  });
  return [applyActivation(ctx.b, y, ctx.config.activation, `${ctx.name}/activation`)];
};
