/**
 * Pooled features and logits of any photo list, computed by the run's own checkpoint converted
 * to ONNX with a features output and run on onnxruntime-node: exactly the numbers the exported
 * graph's open-set output reads. Used where no cached features exist (freeze and finetune runs,
 * whose backbone is not the pretrained one's in finetune) and by `ferry eval --ood` and the bench.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '@ferry/core';
import type { FeatureMatrix } from '@ferry/model';
import { convertLayersModelToOnnx } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadOnnxruntime } from '../commonjs-packages.js';
import type { Sample } from '../data/dataset.js';
import { defaultConcurrency, loadSamples, type SkippedFile, stackInputs } from '../data/loader.js';
import { batches } from '../data/prefetch.js';
import { loadTfForExport } from '../export/run-export.js';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';

const FEATURES_OUTPUT = 'ferry_pooled_features';

export interface CollectedPhotos {
  samples: Sample[];
  features: FeatureMatrix;
  logits: number[][];
  skipped: SkippedFile[];
}

export interface PhotoScorer {
  collect(samples: readonly Sample[]): Promise<CollectedPhotos>;
  dispose(): Promise<void>;
}

/**
 * Opens the run's checkpoint as an onnxruntime session. tfjs only reads the weights: pass the
 * training's `tf` to reuse its backend, else plain tfjs is loaded.
 */
export async function openPhotoScorer(
  runDir: string,
  spec: ModelSpec,
  options: { tf?: typeof tfTypes; batchSize?: number } = {},
): Promise<PhotoScorer> {
  const tf = options.tf ?? (await loadTfForExport());
  const model = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
  let bytes: Uint8Array;
  try {
    // No openSet here: this graph feeds the fit, it must not need the fit's result.
    const { openSet: _o, ...plain } = spec;
    bytes = convertLayersModelToOnnx(model, { spec: plain, featuresOutput: FEATURES_OUTPUT }).bytes;
  } finally {
    model.dispose();
  }
  const ort = loadOnnxruntime();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: availableParallelism(),
  });
  const { width, height } = spec.input;
  return {
    async collect(samples) {
      const kept: Sample[] = [];
      const skipped: SkippedFile[] = [];
      const feats: Float32Array[] = [];
      const logits: number[][] = [];
      const stream = loadSamples(
        samples,
        {
          pipeline: spec.preprocess,
          normalization: spec.input.normalization,
          concurrency: defaultConcurrency(),
        },
        (s) => skipped.push(s),
      );
      let dim = 0;
      for await (const batch of batches(stream, options.batchSize ?? 16)) {
        const input = new ort.Tensor('float32', stackInputs(batch), [batch.length, height, width, 3]);
        const out = await session.run({ [spec.input.name]: input });
        const f = out[FEATURES_OUTPUT]!;
        const l = out[spec.output.logits]!;
        dim = f.dims[1] as number;
        const classes = l.dims[1] as number;
        const fd = f.data as Float32Array;
        const ld = l.data as Float32Array;
        batch.forEach((b, i) => {
          kept.push(b.sample);
          feats.push(fd.slice(i * dim, (i + 1) * dim));
          logits.push(Array.from(ld.subarray(i * classes, (i + 1) * classes)));
        });
      }
      const data = new Float32Array(feats.length * dim);
      feats.forEach((f, i) => data.set(f, i * dim));
      return { samples: kept, features: { data, rows: feats.length, dim }, logits, skipped };
    },
    dispose: () => session.release(),
  };
}
