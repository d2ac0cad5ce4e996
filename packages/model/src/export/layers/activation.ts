import { applyActivation, isSupportedActivation } from './activations.js';
import { type LayerConverter, single, UnsupportedLayerError } from './types.js';

export const convertActivation: LayerConverter = (ctx) => {
  if (!isSupportedActivation(ctx.config.activation)) {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `activation "${String(ctx.config.activation)}" is not supported`,
      ctx.config,
    );
  }
  return [applyActivation(ctx.b, single(ctx), ctx.config.activation, ctx.name)];
};
