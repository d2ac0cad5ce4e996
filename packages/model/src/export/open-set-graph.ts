/**
 * The open-set part of an exported classifier: from the pooled backbone features and the logits
 * the classifier graph already has, two more outputs built from standard ONNX ops only:
 * - `calibrated_probabilities` [batch, classes] = Softmax(logits / temperature);
 * - `ood_score` [batch], the method's own subgraph (open-set/methods/, one file per method), the same
 *   formula as its float64 score.
 */
import type { OpenSetSpec } from '@ferry/core';
import { OPEN_SET_PREFIX, scalar } from '../open-set/methods/graph-ops.js';
import { type OpenSetParams, openSetScoreGraph } from '../open-set/methods/index.js';
import { attr, type OnnxGraphBuilder } from './graph-builder.js';

export { OPEN_SET_PREFIX };

export interface OpenSetGraphInput {
  /** Pooled backbone features [batch, dim]. */
  features: string;
  /** Logits [batch, classes]. */
  logits: string;
  spec: OpenSetSpec;
  params: OpenSetParams;
}

/** Appends both outputs: `spec.probabilitiesOutput` and `spec.scoreOutput`. */
export function addOpenSetOutputs(b: OnnxGraphBuilder, o: OpenSetGraphInput): void {
  const { spec, params } = o;
  const scaled = b.op('Div', [o.logits, scalar(b, 'temperature', spec.temperature)], 'open_set/scale_logits');
  b.addNode('Softmax', [scaled], {
    name: 'open_set/calibrated',
    outputs: [spec.probabilitiesOutput],
    attributes: [attr.int('axis', 1)],
  });
  const score = openSetScoreGraph(b, params, {
    features: o.features,
    scaled,
    probabilities: spec.probabilitiesOutput,
    temperature: spec.temperature,
  });
  b.addNode('Identity', [score], { name: 'open_set/score', outputs: [spec.scoreOutput] });
}
