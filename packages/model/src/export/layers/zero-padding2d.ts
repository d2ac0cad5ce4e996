import { type LayerConverter, require4d, requireChannelsLast, single } from './types.js';

function sides(value: unknown): [number, number, number, number] {
  // Keras forms: int, [h, w], or [[top, bottom], [left, right]].
  if (typeof value === 'number') return [value, value, value, value];
  if (Array.isArray(value) && Array.isArray(value[0])) {
    const [[top, bottom], [left, right]] = value as [[number, number], [number, number]];
    return [top, bottom, left, right];
  }
  if (Array.isArray(value)) {
    const [h, w] = value as [number, number];
    return [h, h, w, w];
  }
  return [1, 1, 1, 1];
}

/** ZeroPadding2D -> Pad (constant 0); the fold-pad pass merges it into a following Conv. */
export const convertZeroPadding2D: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const x = single(ctx);
  require4d(ctx, x);
  const [top, bottom, left, right] = sides(ctx.config.padding);
  const pads = ctx.b.addInt64s(`${ctx.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const y = ctx.b.op('Pad', [x.name, pads], ctx.name, [
    { name: 'mode', type: 3, s: new TextEncoder().encode('constant') },
  ]);
  return [{ name: y, layout: 'nchw', shape: ctx.outputShapes[0] ?? x.shape }];
};
