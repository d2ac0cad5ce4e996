import { type LayerConverter, single } from './types.js';

/** Rescaling(scale, offset): y = x * scale + offset (element-wise, layout independent). */
export const convertRescaling: LayerConverter = (ctx) => {
  const x = single(ctx);
  const scale = Number(ctx.config.scale ?? 1);
  const offset = Number(ctx.config.offset ?? 0);
  let y = ctx.b.op('Mul', [x.name, ctx.b.addFloats(`${ctx.name}/scale`, [scale], [])], `${ctx.name}/mul`);
  if (offset !== 0) y = ctx.b.op('Add', [y, ctx.b.addFloats(`${ctx.name}/offset`, [offset], [])], ctx.name);
  return [{ ...x, name: y }];
};
