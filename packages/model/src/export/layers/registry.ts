/**
 * Keras layer class -> ONNX converter, one module per layer class (the tfjs kernel-registry
 * pattern). `InputLayer` and nested models are handled by the graph walker itself.
 */
import { convertActivation } from './activation.js';
import { convertAdd } from './add.js';
import { convertAverage } from './average.js';
import { convertAveragePooling2D } from './average-pooling2d.js';
import { convertBatchNormalization } from './batch-normalization.js';
import { convertConcatenate } from './concatenate.js';
import { convertConv2D } from './conv2d.js';
import { convertDense } from './dense.js';
import { convertDepthwiseConv2D } from './depthwise-conv2d.js';
import { convertIdentity } from './dropout.js';
import { convertFlatten } from './flatten.js';
import { convertGlobalAveragePooling2D } from './global-average-pooling2d.js';
import { convertGlobalMaxPooling2D } from './global-max-pooling2d.js';
import { convertLeakyReLU } from './leaky-re-lu.js';
import { convertMaxPooling2D } from './max-pooling2d.js';
import { convertMaximum } from './maximum.js';
import { convertMultiply } from './multiply.js';
import { convertReLU } from './re-lu.js';
import { convertRescaling } from './rescaling.js';
import { convertReshape } from './reshape.js';
import { convertSeparableConv2D } from './separable-conv2d.js';
import { convertSoftmax } from './softmax.js';
import type { LayerConverter } from './types.js';
import { convertZeroPadding2D } from './zero-padding2d.js';

const registry = new Map<string, LayerConverter>([
  ['Activation', convertActivation],
  ['Add', convertAdd],
  ['Average', convertAverage],
  ['AveragePooling2D', convertAveragePooling2D],
  ['BatchNormalization', convertBatchNormalization],
  ['Concatenate', convertConcatenate],
  ['Conv2D', convertConv2D],
  ['Dense', convertDense],
  ['DepthwiseConv2D', convertDepthwiseConv2D],
  ['Dropout', convertIdentity],
  ['SpatialDropout1D', convertIdentity],
  ['SpatialDropout2D', convertIdentity],
  ['GaussianNoise', convertIdentity],
  ['GaussianDropout', convertIdentity],
  ['AlphaDropout', convertIdentity],
  ['Flatten', convertFlatten],
  ['GlobalAveragePooling2D', convertGlobalAveragePooling2D],
  ['GlobalMaxPooling2D', convertGlobalMaxPooling2D],
  ['LeakyReLU', convertLeakyReLU],
  ['MaxPooling2D', convertMaxPooling2D],
  ['Maximum', convertMaximum],
  ['Multiply', convertMultiply],
  ['ReLU', convertReLU],
  ['Rescaling', convertRescaling],
  ['Reshape', convertReshape],
  ['SeparableConv2D', convertSeparableConv2D],
  ['Softmax', convertSoftmax],
  ['ZeroPadding2D', convertZeroPadding2D],
]);

export function getLayerConverter(className: string): LayerConverter | undefined {
  return registry.get(className);
}

/** For error messages and docs. */
export function supportedLayerClasses(): string[] {
  return [...registry.keys(), 'InputLayer', 'Functional/Sequential (nested)'].sort();
}

/** Lets an application add or override a mapping without forking the exporter. */
export function registerLayerConverter(className: string, converter: LayerConverter): void {
  registry.set(className, converter);
}
