/**
 * Conv2DBackpropFilter for the wasm backend: dW = patches(x)^T · dy.
 *
 * The heavy lifting is one BatchMatMul on the wasm backend (XNNPACK, SIMD). For MobileNetV2 almost
 * every conv is 1x1 stride 1, where x itself is the patch matrix and no copy is needed; other
 * convs get an im2col copy made with typed-array `set` calls (one contiguous channel run per tap).
 * The patch matrix is transposed with the wasm Transpose kernel first because BatchMatMul with
 * transposeA leaves XNNPACK's fast path (measured: see bench/finetune-step.mjs notes).
 */

import type * as Tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tfjs.js';
import {
  convInfo,
  heapF32,
  type KernelArgs,
  type Pad,
  release,
  runWasmKernel,
  type TensorInfo,
} from './kernel-support.js';

interface Attrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as Attrs;
  const info = convInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } =
    info;
  const rows = batchSize * outHeight * outWidth;
  const cols = filterHeight * filterWidth * inChannels;

  const isPointwise =
    filterHeight === 1 &&
    filterWidth === 1 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    outHeight === inHeight &&
    outWidth === inWidth;

  let patches: TensorInfo;
  if (isPointwise) {
    patches = runWasmKernel('Reshape', backend, { x }, { shape: [rows, cols] });
  } else {
    patches = backend.makeOutput([rows, cols], 'float32');
    // Views taken after the allocation: it may have grown (and detached) the heap.
    const out = heapF32(backend, patches);
    const xs = heapF32(backend, x);
    out.fill(0);
    let row = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++, row++) {
          const rowBase = row * cols;
          for (let kh = 0; kh < filterHeight; kh++) {
            const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
            if (ih < 0 || ih >= inHeight) continue;
            for (let kw = 0; kw < filterWidth; kw++) {
              const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
              if (iw < 0 || iw >= inWidth) continue;
              const src = ((b * inHeight + ih) * inWidth + iw) * inChannels;
              out.set(xs.subarray(src, src + inChannels), rowBase + (kh * filterWidth + kw) * inChannels);
            }
          }
        }
      }
    }
  }

  const patchesT = runWasmKernel('Transpose', backend, { x: patches }, { perm: [1, 0] });
  release(backend, patches);
  const a = runWasmKernel('Reshape', backend, { x: patchesT }, { shape: [1, cols, rows] });
  release(backend, patchesT);
  const b = runWasmKernel('Reshape', backend, { x: dy }, { shape: [1, rows, outChannels] });
  const product = runWasmKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
  release(backend, a);
  release(backend, b);
  const dW = runWasmKernel('Reshape', backend, { x: product }, { shape: [...filterShape] });
  release(backend, product);
  return dW;
}

export const conv2DBackpropFilterConfig: Tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
