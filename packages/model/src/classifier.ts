/**
 * The Ferry classifier as tfjs LayersModels: the backbone cut at its feature layer plus global
 * average pooling ("extractor"), a small dense head, and both joined into ONE LayersModel whose
 * output is linear logits (the checkpoint the ONNX exporter reads).
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Tf = typeof tfTypes;

export interface HeadOptions {
  hiddenUnits: number[];
  dropout: number;
  numClasses: number;
  seed: number;
}

export class ModelBuildError extends Error {
  override name = 'ModelBuildError';
}

/** Backbone input -> pooled features [batch, channels]. */
export function cutBackbone(
  tf: Tf,
  backbone: tfTypes.LayersModel,
  featureLayer: string,
): tfTypes.LayersModel {
  let layer: tfTypes.layers.Layer;
  try {
    layer = backbone.getLayer(featureLayer);
  } catch {
    const names = backbone.layers.map((l) => l.name);
    throw new ModelBuildError(
      `feature layer "${featureLayer}" is not in the backbone; its last layers are: ${names.slice(-5).join(', ')}`,
    );
  }
  const output = layer.output as tfTypes.SymbolicTensor;
  if (output.shape.length !== 4) {
    throw new ModelBuildError(
      `feature layer "${featureLayer}" outputs shape [${output.shape.join(',')}]; a 4-D [batch,h,w,c] feature map is needed`,
    );
  }
  const pooled = tf.layers
    .globalAveragePooling2d({ name: 'ferry_pool' })
    .apply(output) as tfTypes.SymbolicTensor;
  return tf.model({ inputs: backbone.inputs, outputs: pooled, name: 'ferry_extractor' });
}

function headLayers(tf: Tf, o: HeadOptions): tfTypes.layers.Layer[] {
  const layers: tfTypes.layers.Layer[] = [];
  o.hiddenUnits.forEach((units, i) => {
    layers.push(
      tf.layers.dense({
        units,
        activation: 'relu',
        name: `ferry_hidden_${i}`,
        kernelInitializer: tf.initializers.heNormal({ seed: o.seed + i + 1 }),
      }),
    );
  });
  if (o.dropout > 0) layers.push(tf.layers.dropout({ rate: o.dropout, name: 'ferry_dropout', seed: o.seed }));
  layers.push(
    tf.layers.dense({
      units: o.numClasses,
      activation: 'linear',
      name: 'ferry_logits',
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
    }),
  );
  return layers;
}

function applyAll(layers: tfTypes.layers.Layer[], x: tfTypes.SymbolicTensor): tfTypes.SymbolicTensor {
  return layers.reduce((t, l) => l.apply(t) as tfTypes.SymbolicTensor, x);
}

/** The head alone: pooled features [batch, dim] -> logits. */
export function buildHead(tf: Tf, inputDim: number, o: HeadOptions): tfTypes.LayersModel {
  const input = tf.input({ shape: [inputDim], name: 'ferry_features' });
  return tf.model({ inputs: input, outputs: applyAll(headLayers(tf, o), input), name: 'ferry_head' });
}

/**
 * extractor + a fresh copy of the head layers = the full classifier. Backbone layers are shared
 * with the extractor (so fine-tuned weights are always current); head weights are copied in by
 * `syncHead` before each save.
 */
export function buildClassifier(tf: Tf, extractor: tfTypes.LayersModel, o: HeadOptions): tfTypes.LayersModel {
  const out = applyAll(headLayers(tf, o), extractor.outputs[0] as tfTypes.SymbolicTensor);
  return tf.model({ inputs: extractor.inputs, outputs: out, name: 'ferry_classifier' });
}

/** Copies weights layer by layer, matched by name, from `from` into `to`. */
export function copyWeightsByName(from: tfTypes.LayersModel, to: tfTypes.LayersModel): number {
  let copied = 0;
  const target = new Map(to.layers.map((l) => [l.name, l]));
  for (const layer of from.layers) {
    const dest = target.get(layer.name);
    const weights = layer.getWeights();
    if (!dest || weights.length === 0) continue;
    dest.setWeights(weights);
    copied++;
  }
  return copied;
}

export function featureDim(extractor: tfTypes.LayersModel): number {
  const shape = (extractor.outputs[0] as tfTypes.SymbolicTensor).shape;
  return shape[shape.length - 1] as number;
}

export function inputSize(model: tfTypes.LayersModel): { width: number; height: number } {
  const shape = (model.inputs[0] as tfTypes.SymbolicTensor).shape;
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new ModelBuildError(`backbone input must be [batch,height,width,3], got [${shape.join(',')}]`);
  }
  const height = shape[1] ?? 224;
  const width = shape[2] ?? 224;
  return { width, height };
}
