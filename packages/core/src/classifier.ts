import { Tensor as CommonTensor } from 'onnxruntime-common';
import { assertImage, type Image, toRgb } from './image.js';
import { isUnknown } from './open-set/answer.js';
import { type Prediction, softmax, topK as takeTopK } from './postprocess.js';
import type { ModelSpec } from './spec/model-spec.js';
import { applyTransforms } from './transforms/pipeline.js';
import { toTensor } from './transforms/to-tensor.js';

/** The slice of onnxruntime's `InferenceSession` the classifier needs (node, web or workerd). */
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

/** onnxruntime's Tensor constructor: pass the runtime's own (`ort.Tensor`) to avoid mixing copies. */
export type TensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;

export interface ClassifierOptions {
  Tensor?: TensorConstructor;
  /** Default number of predictions returned. */
  topK?: number;
}

export interface Classification {
  predictions: Prediction[];
  /**
   * Probabilities for every label, in spec.labels order: temperature-calibrated when the model
   * has an open-set output (spec.openSet), the plain softmax otherwise.
   */
  probabilities: Float32Array;
  /** Open-set models only: true when the photo looks like none of the labels. */
  unknown?: boolean;
  /** Open-set models only: the score behind `unknown` (higher = less like the training photos). */
  oodScore?: number;
  timing_ms: { preprocess: number; inference: number };
}

export interface Classifier {
  readonly spec: ModelSpec;
  /** Decoded image -> model input (spec eval pipeline + normalization), NHWC/NCHW as the spec says. */
  preprocess(image: Image, out?: Float32Array, offset?: number): Float32Array;
  classify(image: Image, options?: { topK?: number }): Promise<Classification>;
  classifyBatch(images: readonly Image[], options?: { topK?: number }): Promise<Classification[]>;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function createClassifier(
  session: SessionLike,
  spec: ModelSpec,
  options: ClassifierOptions = {},
): Classifier {
  const Tensor = (options.Tensor ?? CommonTensor) as TensorConstructor;
  const { width, height, layout, normalization, name: inputName } = spec.input;
  if (!session.inputNames.includes(inputName)) {
    throw new Error(`model has no input named "${inputName}" (inputs: ${session.inputNames.join(', ')})`);
  }
  const hasProbabilities = session.outputNames.includes(spec.output.probabilities);
  if (!hasProbabilities && !session.outputNames.includes(spec.output.logits)) {
    throw new Error(
      `model has neither "${spec.output.probabilities}" nor "${spec.output.logits}" outputs (outputs: ${session.outputNames.join(', ')})`,
    );
  }
  // Models exported before open-set support have no score output: they answer as they always did.
  const openSet =
    spec.openSet &&
    session.outputNames.includes(spec.openSet.scoreOutput) &&
    session.outputNames.includes(spec.openSet.probabilitiesOutput)
      ? spec.openSet
      : undefined;
  const perImage = width * height * 3;
  const defaultTopK = options.topK ?? 5;

  const preprocess = (image: Image, out?: Float32Array, offset = 0): Float32Array => {
    assertImage(image);
    const prepared = applyTransforms(toRgb(image), spec.preprocess);
    if (prepared.width !== width || prepared.height !== height) {
      throw new Error(
        `preprocess produced ${prepared.width}x${prepared.height}, model expects ${width}x${height}`,
      );
    }
    return toTensor(prepared, normalization, layout, out, offset);
  };

  const classifyBatch = async (
    images: readonly Image[],
    opts: { topK?: number } = {},
  ): Promise<Classification[]> => {
    if (images.length === 0) return [];
    const t0 = now();
    const batch = new Float32Array(perImage * images.length);
    for (let i = 0; i < images.length; i++) preprocess(images[i]!, batch, i * perImage);
    const dims = layout === 'NHWC' ? [images.length, height, width, 3] : [images.length, 3, height, width];
    const t1 = now();
    const outputName = openSet
      ? openSet.probabilitiesOutput
      : hasProbabilities
        ? spec.output.probabilities
        : spec.output.logits;
    const results = await session.run({ [inputName]: new Tensor('float32', batch, dims) });
    const t2 = now();
    const output = results[outputName];
    if (!output) throw new Error(`model returned no "${outputName}" output`);
    const data = output.data as Float32Array;
    const classes = spec.labels.length;
    if (data.length !== classes * images.length) {
      throw new Error(
        `model output has ${data.length} values, expected ${images.length} x ${classes} labels`,
      );
    }
    let scores: Float32Array | undefined;
    if (openSet) {
      scores = results[openSet.scoreOutput]?.data as Float32Array | undefined;
      if (!scores || scores.length !== images.length)
        throw new Error(`model output "${openSet.scoreOutput}" has no score per image`);
    }
    return images.map((_, i) => {
      const row = data.subarray(i * classes, (i + 1) * classes);
      const probabilities =
        hasProbabilities || openSet ? Float32Array.from(row) : Float32Array.from(softmax(row));
      const classification: Classification = {
        predictions: takeTopK(probabilities, spec.labels, opts.topK ?? defaultTopK),
        probabilities,
        timing_ms: { preprocess: (t1 - t0) / images.length, inference: (t2 - t1) / images.length },
      };
      if (openSet && scores) {
        classification.oodScore = scores[i] as number;
        classification.unknown = isUnknown(classification.oodScore, openSet);
      }
      return classification;
    });
  };

  return {
    spec,
    preprocess,
    classifyBatch,
    classify: async (image, opts) => (await classifyBatch([image], opts))[0]!,
  };
}
