import { attr, onnxAxis } from '../graph-builder.js';
import { type LayerConverter, single } from './types.js';

export const convertSoftmax: LayerConverter = (ctx) => {
  const x = single(ctx);
  const axis = onnxAxis(x, Number(ctx.config.axis ?? -1));
  return [{ ...x, name: ctx.b.op('Softmax', [x.name], ctx.name, [attr.int('axis', axis)]) }];
};
