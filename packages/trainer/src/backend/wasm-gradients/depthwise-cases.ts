/**
 * Depthwise-conv geometries shared by the two depthwise kernel tests: stride 1/2, same/valid/
 * explicit padding, odd sizes, channel multipliers 1-3 and a dilated filter.
 */
import type * as Tf from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';
import { seededValues } from './gradient-check.js';

export interface DepthwiseCase {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
}

export const depthwiseCases: DepthwiseCase[] = [
  { name: '3x3 stride 1 same, multiplier 1', x: [2, 8, 8, 6], w: [3, 3, 6, 1], strides: 1, pad: 'same' },
  { name: '3x3 stride 2 same, odd size', x: [2, 9, 7, 5], w: [3, 3, 5, 1], strides: 2, pad: 'same' },
  { name: '3x3 stride 2 valid, multiplier 2', x: [3, 10, 11, 4], w: [3, 3, 4, 2], strides: 2, pad: 'valid' },
  { name: '5x5 stride 1 valid, multiplier 3', x: [1, 9, 9, 3], w: [5, 5, 3, 3], strides: 1, pad: 'valid' },
  { name: '3x3 dilation 2 same', x: [2, 9, 9, 4], w: [3, 3, 4, 1], strides: 1, dilations: 2, pad: 'same' },
  {
    name: '3x2 strides [1,2] explicit pads, multiplier 2',
    x: [2, 7, 9, 3],
    w: [3, 2, 3, 2],
    strides: [1, 2],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
];

/**
 * dL/dx and dL/dW of sum(depthwiseConv2d(x, W) * probe), probe random so dy is not uniform.
 * `reference` marks the cpu run. tfjs's depthwise gradient refuses dilations > 1 and the cpu
 * kernels silently ignore dilations, so for a dilated case the reference runs the equivalent
 * undilated conv with a zero-inserted filter and samples its dW at the real taps, while the
 * subject (wasm) runs the two kernels directly with the dilation attribute.
 */
export function depthwiseGradients(c: DepthwiseCase, seed: number, reference: boolean): () => Tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.x), seed), c.x);
    const w = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.w), seed + 1), c.w);
    const dilation = typeof c.dilations === 'number' ? c.dilations : 1;
    const outShape = tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations ?? 1).shape;
    const probe = tf.tensor(seededValues(tf.util.sizeFromShape(outShape), seed + 2), outShape);
    if (dilation !== 1 && !reference) {
      const attrs = { strides: c.strides, dilations: dilation, pad: c.pad };
      const dx = tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy: probe, filter: w },
        {
          ...attrs,
          inputShape: c.x,
        },
      ) as Tf.Tensor;
      const dw = tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x, dy: probe },
        {
          ...attrs,
          filterShape: c.w,
        },
      ) as Tf.Tensor;
      return [dx, dw];
    }
    const [fh, fw, inC, mult] = c.w;
    const dilated = dilation === 1 ? w : zeroInserted(w, dilation);
    const [dx, dwFull] = tf.grads((xi: Tf.Tensor, wi: Tf.Tensor) =>
      tf
        .depthwiseConv2d(xi as Tf.Tensor4D, wi as Tf.Tensor4D, c.strides, c.pad)
        .mul(probe)
        .sum(),
    )([x, dilated]);
    const dw =
      dilation === 1
        ? (dwFull as Tf.Tensor)
        : tf.stridedSlice(
            dwFull as Tf.Tensor,
            [0, 0, 0, 0],
            [fh, fw, inC, mult].map((v, i) => (i < 2 ? (v - 1) * dilation + 1 : v)),
            [dilation, dilation, 1, 1],
          );
    return [dx as Tf.Tensor, dw];
  };
}

/** The (k-1)*d+1 filter with zeros between taps that an undilated conv treats as dilation d. */
function zeroInserted(w: Tf.Tensor4D, d: number): Tf.Tensor4D {
  const [fh, fw, inC, mult] = w.shape;
  const big = tf.buffer([(fh - 1) * d + 1, (fw - 1) * d + 1, inC, mult], 'float32');
  const values = w.arraySync();
  values.forEach((row, kh) => {
    row.forEach((col, kw) => {
      col.forEach((channel, ci) => {
        channel.forEach((v, m) => big.set(v, kh * d, kw * d, ci, m));
      });
    });
  });
  return big.toTensor() as Tf.Tensor4D;
}
