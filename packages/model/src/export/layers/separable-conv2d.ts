import { applyActivation } from './activations.js';
import { depthwiseKernelToOnnx, emitConv, kerasKernelToOnnx } from './conv-common.js';
import { type LayerConverter, require4d, requireChannelsLast, requireWeight, single } from './types.js';

/** SeparableConv2D = depthwise (no bias) then a 1x1 pointwise convolution with the bias. */
export const convertSeparableConv2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const depthwise = requireWeight(ctx, 'depthwise_kernel');
  const pointwise = requireWeight(ctx, 'pointwise_kernel');
  const bias = ctx.config.useBias === false ? undefined : ctx.weight('bias')?.values;
  const channels = depthwise.shape[2] as number;
  const mid = emitConv(ctx, x, {
    weights: depthwiseKernelToOnnx(depthwise.values, depthwise.shape),
    group: channels,
    suffix: '/depthwise',
  });
  const y = emitConv(ctx, mid, {
    weights: kerasKernelToOnnx(pointwise.values, pointwise.shape),
    bias,
    group: 1,
    kernel: [1, 1],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
    suffix: '/pointwise',
  });
  return [applyActivation(ctx.b, y, ctx.config.activation, `${ctx.name}/activation`)];
};
