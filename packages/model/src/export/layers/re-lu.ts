import { type LayerConverter, single, UnsupportedLayerError } from './types.js';

/** ReLU(max_value, negative_slope, threshold): Relu, Clip when capped, LeakyRelu when sloped. */
export const convertReLU: LayerConverter = (ctx) => {
  const x = single(ctx);
  const { b, name, config } = ctx;
  const maxValue = config.maxValue ?? config.max_value;
  const slope = Number(config.negativeSlope ?? config.negative_slope ?? 0);
  const threshold = Number(config.threshold ?? 0);
  if (threshold !== 0) {
    throw new UnsupportedLayerError(ctx.className, name, 'ReLU with a non-zero threshold', config);
  }
  let y = slope !== 0 ? b.op('LeakyRelu', [x.name], name, [{ name: 'alpha', type: 1, f: slope }]) : undefined;
  if (maxValue !== null && maxValue !== undefined) {
    const lo = b.addFloats(`${name}/min`, [slope !== 0 ? -3.4028234663852886e38 : 0], []);
    const hi = b.addFloats(`${name}/max`, [Number(maxValue)], []);
    y = b.op('Clip', [y ?? x.name, lo, hi], `${name}/clip`);
  }
  y ??= b.op('Relu', [x.name], name);
  return [{ ...x, name: y }];
};
