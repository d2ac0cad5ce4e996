import { applyActivation } from './activations.js';
import { emitConv, kerasKernelToOnnx } from './conv-common.js';
import { type LayerConverter, require4d, requireChannelsLast, requireWeight, single } from './types.js';

export const convertConv2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const kernel = requireWeight(ctx, 'kernel');
  const bias = ctx.config.useBias === false ? undefined : ctx.weight('bias')?.values;
  const groups = Number(ctx.config.groups ?? 1);
  const y = emitConv(ctx, x, {
    weights: kerasKernelToOnnx(kernel.values, kernel.shape),
    bias,
    group: groups,
  });
  return [applyActivation(ctx.b, y, ctx.config.activation, `${ctx.name}/activation`)];
};
