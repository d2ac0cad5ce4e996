/**
 * Registers the gradient kernels the wasm backend lacks, so `tf.grad` through Conv2D and
 * DepthwiseConv2dNative (every MobileNet layer) works on 'wasm'. Idempotent: tfjs throws on a
 * duplicate registration, and both the backend selector and tests may call this.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input.js';

export const WASM_GRADIENT_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

export function registerWasmGradientKernels(): void {
  for (const config of WASM_GRADIENT_KERNELS) {
    if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  }
}
