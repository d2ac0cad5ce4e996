/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend: scatters every dy element back through
 * the taps that read it,
 *   dx[b, oh*sh + kh*dh - top, ow*sw + kw*dw - left, c] += sum_m dy[b, oh, ow, c*M + m] * W[kh, kw, c, m]
 * Written as a scatter (not a gather over the transposed conv) so strides need no zero-dilated copy
 * of dy; the innermost loop runs along contiguous channels of both dy and W.
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
  inputShape: [number, number, number, number];
}

export function depthwiseConv2dNativeBackpropInput(args: KernelArgs): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs as unknown as Attrs;
  const info = convInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true, 'NHWC');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } =
    info;
  const multiplier = outChannels / inChannels;

  const result = backend.makeOutput([...inputShape], 'float32');
  const dx = heapF32(backend, result);
  const dys = heapF32(backend, dy);
  const ws = heapF32(backend, filter);
  dx.fill(0);

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
            const dxBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                dx[dxBase + c] =
                  (dx[dxBase + c] as number) + (dys[dyBase + c] as number) * (ws[wBase + c] as number);
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const o = c * multiplier;
                let sum = 0;
                for (let m = 0; m < multiplier; m++) {
                  sum += (dys[dyBase + o + m] as number) * (ws[wBase + o + m] as number);
                }
                dx[dxBase + c] = (dx[dxBase + c] as number) + sum;
              }
            }
          }
        }
      }
    }
  }
  return result;
}

export const depthwiseConv2dNativeBackpropInputConfig: Tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
