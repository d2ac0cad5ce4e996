import { attr } from '../graph-builder.js';
import { type LayerConverter, single } from './types.js';

export const convertLeakyReLU: LayerConverter = (ctx) => {
  const x = single(ctx);
  // tfjs and Keras default alpha is 0.3 (ONNX's default is 0.01), so always write it.
  const alpha = Number(ctx.config.alpha ?? 0.3);
  return [{ ...x, name: ctx.b.op('LeakyRelu', [x.name], ctx.name, [attr.float('alpha', alpha)]) }];
};
