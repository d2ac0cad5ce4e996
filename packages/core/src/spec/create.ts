import { type DecodeRule, decodeRuleForPipeline } from '../decode-scale.js';
import { defaultEvalPipeline, type TransformStep } from '../transforms/pipeline.js';
import type { Layout, Normalization } from '../transforms/to-tensor.js';
import {
  type BackboneSpec,
  DEFAULT_IO_NAMES,
  type HeadSpec,
  MODEL_SPEC_FORMAT,
  MODEL_SPEC_VERSION,
  type ModelSpec,
  type OpenSetSpec,
  type TrainingProvenance,
} from './model-spec.js';
import { parseModelSpec } from './parse.js';

export interface CreateModelSpecOptions {
  name: string;
  labels: string[];
  width: number;
  height: number;
  normalization: Normalization;
  layout?: Layout;
  preprocess?: TransformStep[];
  /** Default: the rule the eval pipeline needs (`decodeRuleForPipeline`); null for none (full-size decodes). */
  decode?: DecodeRule | null;
  backbone?: BackboneSpec;
  head?: HeadSpec;
  training?: TrainingProvenance;
  openSet?: OpenSetSpec;
}

/** Builds a valid spec with Ferry's defaults (NHWC, torchvision-style eval pipeline). */
export function createModelSpec(options: CreateModelSpecOptions): ModelSpec {
  const preprocess = options.preprocess ?? defaultEvalPipeline(options.width, options.height);
  const spec: ModelSpec = {
    format: MODEL_SPEC_FORMAT,
    version: MODEL_SPEC_VERSION,
    name: options.name,
    task: 'image-classification',
    labels: [...options.labels],
    input: {
      name: DEFAULT_IO_NAMES.input,
      width: options.width,
      height: options.height,
      channels: 3,
      channelOrder: 'RGB',
      layout: options.layout ?? 'NHWC',
      dtype: 'float32',
      normalization: options.normalization,
    },
    preprocess,
    output: { logits: DEFAULT_IO_NAMES.logits, probabilities: DEFAULT_IO_NAMES.probabilities },
  };
  const decode = options.decode === undefined ? decodeRuleForPipeline(preprocess) : options.decode;
  if (decode) spec.decode = { ...decode };
  if (options.backbone) spec.backbone = options.backbone;
  if (options.head) spec.head = options.head;
  if (options.training) spec.training = options.training;
  if (options.openSet) spec.openSet = options.openSet;
  return parseModelSpec(spec);
}
