import { attr } from '../graph-builder.js';
import { type LayerConverter, requireWeight, single, UnsupportedLayerError } from './types.js';

/**
 * Inference-mode BatchNormalization. Emitted as the ONNX op (channel axis 1 in the NCHW graph)
 * so the fold-batch-norm pass can merge it into a preceding convolution.
 */
export const convertBatchNormalization: LayerConverter = (ctx) => {
  const x = single(ctx);
  const rank = x.shape.length;
  const axis = Number(ctx.config.axis ?? -1);
  if (axis !== -1 && axis !== rank - 1) {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `only the channel (last) axis is supported, got ${axis}`,
      ctx.config,
    );
  }
  const mean = requireWeight(ctx, 'moving_mean').values;
  const variance = requireWeight(ctx, 'moving_variance').values;
  const channels = mean.length;
  const gamma =
    ctx.config.scale === false ? new Float32Array(channels).fill(1) : requireWeight(ctx, 'gamma').values;
  const beta = ctx.config.center === false ? new Float32Array(channels) : requireWeight(ctx, 'beta').values;
  const epsilon = Number(ctx.config.epsilon ?? 1e-3);
  const { b, name } = ctx;
  if (x.layout === 'nchw' || rank === 2) {
    const inputs = [
      x.name,
      b.addFloats(`${name}/scale`, gamma, [channels]),
      b.addFloats(`${name}/bias`, beta, [channels]),
      b.addFloats(`${name}/mean`, mean, [channels]),
      b.addFloats(`${name}/var`, variance, [channels]),
    ];
    return [{ ...x, name: b.op('BatchNormalization', inputs, name, [attr.float('epsilon', epsilon)]) }];
  }
  // Channels-last tensors of other ranks: y = x * s + t, broadcasting over the last axis.
  const s = new Float32Array(channels);
  const t = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    s[c] = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
    t[c] = (beta[c] as number) - (mean[c] as number) * (s[c] as number);
  }
  const scaled = b.op('Mul', [x.name, b.addFloats(`${name}/s`, s, [channels])], `${name}/mul`);
  return [{ ...x, name: b.op('Add', [scaled, b.addFloats(`${name}/t`, t, [channels])], name) }];
};
