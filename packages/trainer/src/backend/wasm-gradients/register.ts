/**
 * Registers the gradient kernels the wasm backend lacks, so `tf.grad` through Conv2D and
 * DepthwiseConv2dNative (every MobileNet layer) works on 'wasm', and swaps in a faster Tile.
 * Idempotent: tfjs throws on a duplicate registration, and both the backend selector and tests
 * may call this.
 */
import type * as Tf from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig, setStockConv2DBackpropInput } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input.js';
import { tileConfig } from './tile.js';

export const WASM_GRADIENT_KERNELS: readonly Tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

/**
 * Kernels the wasm backend has but too slowly for training; replaced (numbers in each file and in
 * bench/finetune-step.mjs's --profile output).
 */
export const WASM_KERNEL_REPLACEMENTS: readonly Tf.KernelConfig[] = [tileConfig, conv2DBackpropInputConfig];

export function registerWasmGradientKernels(): void {
  for (const config of WASM_GRADIENT_KERNELS) {
    if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  }
  for (const config of WASM_KERNEL_REPLACEMENTS) {
    if (tf.getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) continue;
    const stock = tf.getKernel(config.kernelName, 'wasm');
    if (stock) {
      if (config === conv2DBackpropInputConfig) setStockConv2DBackpropInput(stock.kernelFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    // The wasm backend runs each registered kernel's setupFunc (binding its C++ entry point) when
    // it starts; carry the stock kernel's over so the kept fallback is bound too.
    const setupFunc = config.setupFunc ?? stock?.setupFunc;
    tf.registerKernel(setupFunc ? { ...config, setupFunc } : config);
  }
}
