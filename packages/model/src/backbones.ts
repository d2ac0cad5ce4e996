/**
 * Known pretrained backbones: canonical URL, the layer to cut at and the input normalization
 * the weights were trained with (it goes into the model spec, so every runtime agrees).
 */
import type { Normalization } from '@ferry/core';

export interface BackboneInfo {
  id: string;
  url: string;
  featureLayer: string;
  normalization: Normalization;
  inputSize: number;
  description: string;
}

/** MobileNet family: x / 127.5 - 1. */
const MINUS_ONE_ONE: Normalization = { kind: 'scale', scale: 1 / 127.5, offset: -1 };

const mobilenetV2 = (alpha: string): BackboneInfo => ({
  id: `mobilenet_v2_${alpha}_224`,
  url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`,
  featureLayer: 'out_relu',
  normalization: MINUS_ONE_ONE,
  inputSize: 224,
  description: `Keras MobileNetV2 alpha ${alpha}, ImageNet (Teachable Machine's base model)`,
});

const mobilenetV1 = (alpha: string): BackboneInfo => ({
  id: `mobilenet_v1_${alpha}_224`,
  url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_224/model.json`,
  featureLayer: 'conv_pw_13_relu',
  normalization: MINUS_ONE_ONE,
  inputSize: 224,
  description: `tfjs MobileNetV1 alpha ${alpha}, ImageNet`,
});

export const BACKBONES: readonly BackboneInfo[] = [
  ...['0.35', '0.50', '0.75', '1.00'].map(mobilenetV2),
  ...['0.25', '0.50', '0.75', '1.0'].map(mobilenetV1),
];

export const DEFAULT_BACKBONE = 'mobilenet_v2_0.35_224';

export function findBackbone(id: string): BackboneInfo | undefined {
  return BACKBONES.find((b) => b.id === id);
}
