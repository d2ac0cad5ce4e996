/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend:
 *   dW[kh, kw, c, m] = sum over (b, oh, ow) of x[b, oh*sh + kh*dh - top, ow*sw + kw*dw - left, c]
 *                                              * dy[b, oh, ow, c*M + m]
 * Depthwise work is tiny next to the pointwise convs (kh*kw MACs per output element), so this is
 * one pass over dy in JS with the innermost loop running along contiguous channels, reading the
 * wasm heap without copies and accumulating in float64 (sums run over b*oh*ow terms).
 */

import type * as Tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tfjs.js';
import { convInfo, heapF32, type KernelArgs, type Pad, type TensorInfo } from './kernel-support.js';

interface Attrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs as unknown as Attrs;
  const info = convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true, 'NHWC');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } =
    info;
  const multiplier = outChannels / inChannels;

  const sums = new Float64Array(filterHeight * filterWidth * outChannels);
  const result = backend.makeOutput([...filterShape], 'float32');
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                sums[wBase + c] =
                  (sums[wBase + c] as number) + (xs[xBase + c] as number) * (dys[dyBase + c] as number);
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xv = xs[xBase + c] as number;
                const o = c * multiplier;
                for (let m = 0; m < multiplier; m++) {
                  sums[wBase + o + m] =
                    (sums[wBase + o + m] as number) + xv * (dys[dyBase + o + m] as number);
                }
              }
            }
          }
        }
      }
    }
  }
  heapF32(backend, result).set(sums);
  return result;
}

export const depthwiseConv2dNativeBackpropFilterConfig: Tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
