/**
 * Stage 3 of `train()`: the tfjs backend, the pretrained backbone cut at its feature layer (the
 * "extractor"), a fresh head, and both joined as the classifier the checkpoint and the ONNX
 * export are made from. The head and the classifier's head layers have the same names, so
 * weights move between them with `copyWeightsByName`.
 */

import {
  buildClassifier,
  buildHead,
  cutBackbone,
  featureDim,
  type HeadOptions,
  inputSize,
} from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import type { DownloadProgress } from '../backbones/download.js';
import { type ResolvedBackbone, resolveBackbone } from '../backbones/resolve.js';
import type { SelectedBackend } from '../backend/index.js';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';
import type { ResolvedTrainOptions } from './options.js';
import { pipelinesFor, type RunPipelines } from './pipelines.js';

export type Tf = typeof tfTypes;

export interface RunModels {
  backend: SelectedBackend;
  tf: Tf;
  backbone: ResolvedBackbone;
  /** Backbone input -> pooled features [batch, dim]; shares its layers with `classifier`. */
  extractor: tfTypes.LayersModel;
  /** Pooled features -> logits: what every head-only step trains. */
  head: tfTypes.LayersModel;
  /** extractor + a copy of the head layers: what the checkpoint holds. */
  classifier: tfTypes.LayersModel;
  headOptions: HeadOptions;
  width: number;
  height: number;
  pipelines: RunPipelines;
  /** Frees every weight of the backbone, the head and the classifier. */
  dispose(): void;
}

/** The run's backbone on disk (downloaded on first use): before anything loads it. */
export function resolveRunBackbone(
  options: ResolvedTrainOptions,
  onDownload?: (progress: DownloadProgress) => void,
): Promise<ResolvedBackbone> {
  return resolveBackbone(options.backbone, {
    ...(options.featureLayer ? { featureLayer: options.featureLayer } : {}),
    ...(onDownload ? { onProgress: onDownload } : {}),
  });
}

export async function loadModels(
  options: ResolvedTrainOptions,
  backbone: ResolvedBackbone,
  numClasses: number,
): Promise<RunModels> {
  // Loaded here, not imported at the top: TensorFlow.js is the largest thing `ferry train` loads,
  // and the stages before this one (and the decoding they start) do not need it.
  const { selectBackend } = await import('../backend/index.js');
  const backend = await selectBackend(options.backend);
  const tf = backend.tf;
  const backboneModel = await loadLayersModelFromDir(tf, backbone.modelJson);
  let extractor: tfTypes.LayersModel;
  let size: { width: number; height: number };
  try {
    extractor = cutBackbone(tf, backboneModel, backbone.featureLayer);
    size = inputSize(extractor);
  } catch (error) {
    backboneModel.dispose();
    throw error;
  }
  const { width, height } = size;
  const headOptions: HeadOptions = {
    hiddenUnits: options.hiddenUnits,
    dropout: options.dropout,
    numClasses,
    seed: options.seed,
  };
  const head = buildHead(tf, featureDim(extractor), headOptions);
  const classifier = buildClassifier(tf, extractor, headOptions);
  const models = [classifier, head, extractor, backboneModel];
  return {
    backend,
    tf,
    backbone,
    extractor,
    head,
    classifier,
    headOptions,
    width,
    height,
    pipelines: pipelinesFor(options.mode, width, height),
    dispose: () => disposeModels(tf, models),
  };
}

/**
 * LayersModel.dispose() frees a layer's weights once no other model uses it; the models share
 * layers, so each is disposed in turn and the weights any of them still hold go last.
 */
function disposeModels(tf: Tf, models: tfTypes.LayersModel[]): void {
  const weights = new Set<tfTypes.Tensor>();
  for (const model of models) for (const w of model.weights) weights.add(w.read());
  for (const model of models) {
    try {
      model.dispose();
    } catch {
      // Already disposed through a shared layer: nothing left to free for this one.
    }
  }
  tf.dispose([...weights].filter((t) => !t.isDisposed));
}
