import { attr, fromKerasOrder, toKerasOrder } from '../graph-builder.js';
import { applyActivation } from './activations.js';
import { type LayerConverter, requireWeight, single } from './types.js';

/** Dense: Gemm on [N, K] inputs; MatMul + Add over the last axis for higher ranks (as Keras). */
export const convertDense: LayerConverter = (ctx) => {
  const { b, name } = ctx;
  const x = single(ctx);
  const kernel = requireWeight(ctx, 'kernel');
  const [k, m] = kernel.shape as [number, number];
  const weights = b.addInitializer(`${name}/W`, Float32Array.from(kernel.values), [k, m]);
  const bias = ctx.config.useBias === false ? undefined : ctx.weight('bias')?.values;
  const shape = ctx.outputShapes[0] ?? [];
  let y: string;
  if (x.shape.length === 2) {
    const inputs = [x.name, weights];
    if (bias) inputs.push(b.addFloats(`${name}/B`, bias, [m]));
    y = b.op('Gemm', inputs, name, [attr.int('transB', 0)]);
    return [
      applyActivation(b, { name: y, layout: 'plain', shape }, ctx.config.activation, `${name}/activation`),
    ];
  }
  const keras = toKerasOrder(b, x, name);
  y = b.op('MatMul', [keras.name, weights], bias ? `${name}/matmul` : name);
  if (bias) y = b.op('Add', [y, b.addFloats(`${name}/B`, bias, [m])], name);
  const activated = applyActivation(
    b,
    { name: y, layout: 'plain', shape },
    ctx.config.activation,
    `${name}/activation`,
  );
  return [fromKerasOrder(b, activated, name)];
};
