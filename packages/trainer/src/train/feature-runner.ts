/**
 * Runs the frozen feature extractor (backbone cut at its feature layer + global average pooling)
 * where inference is fastest. A frozen backbone is pure inference, and onnxruntime-node runs
 * MobileNetV2 several times faster per image than tfjs on wasm, so the extractor is converted to
 * ONNX once (cached by backbone hash) and run there; any failure falls back to tfjs with one line.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { convertLayersModelToOnnx } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadOnnxruntime } from '../commonjs-packages.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { codeIdentity } from '../io/code-identity.js';

type Tf = typeof tfTypes;

export interface FeatureRunner {
  /** `onnxruntime-node` or `tfjs (<backend>)`. */
  name: string;
  /** NHWC float input for `n` images -> `n * dim` pooled features. */
  run(input: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Starts opening the runtime now, without waiting (a batch is coming): the backbone's
   * conversion and session then overlap the decoders' start instead of following it.
   */
  prepare?(): void;
  dispose(): Promise<void>;
}

export interface FeatureRunnerOptions {
  tf: Tf;
  /** Backbone input -> pooled features [batch, dim]. */
  extractor: tfTypes.LayersModel;
  /** Identity of the extractor for the ONNX cache: backbone hash + feature layer. */
  cacheKey: string;
  /** Directory for converted backbones (FERRY_CACHE_DIR/onnx-backbones). */
  cacheDir: string;
  /**
   * onnxruntime's intra-op threads (default: every core). Extraction runs it beside the decoding
   * workers and gives it half the cores: on 2 cores one thread did the same backbone work for
   * 2 CPU-s less on ants/bees (10.6 -> 8.7 CPU-s whole run, measured under load), the second thread
   * mostly spinning while the decoders wanted the core.
   */
  threads?: number;
  /** `tfjs` skips onnxruntime (tests compare both; FERRY_FEATURES_RUNTIME=tfjs does the same). */
  runtime?: 'auto' | 'onnxruntime' | 'tfjs';
  log?: (message: string) => void;
}

function inputShape(extractor: tfTypes.LayersModel): [number, number] {
  const shape = extractor.inputs[0]!.shape;
  return [(shape[1] as number) ?? 224, (shape[2] as number) ?? 224];
}

export function tfjsFeatureRunner(tf: Tf, extractor: tfTypes.LayersModel): FeatureRunner {
  const [height, width] = inputShape(extractor);
  return {
    name: `tfjs (${tf.getBackend()})`,
    async run(input, n) {
      const out = tf.tidy(
        () => extractor.predict(tf.tensor4d(input, [n, height, width, 3])) as tfTypes.Tensor,
      );
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    async dispose() {},
  };
}

/** Converts (or reuses the cached conversion of) the extractor and opens an onnxruntime session. */
export async function onnxFeatureRunner(o: FeatureRunnerOptions): Promise<FeatureRunner> {
  // The converter's code (@ferry/model's, in every codeIdentity) is part of the key: a fixed
  // exporter bug must not be served from cache.
  const path = join(o.cacheDir, `${o.cacheKey}-converter${codeIdentity()}.onnx`);
  let bytes: Uint8Array;
  if (existsSync(path)) bytes = await readFile(path);
  else {
    bytes = convertLayersModelToOnnx(o.extractor, { kind: 'features' }).bytes;
    await writeFileAtomic(path, bytes);
  }
  const ort = loadOnnxruntime();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads ?? availableParallelism(),
  });
  const [height, width] = inputShape(o.extractor);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  return {
    name: 'onnxruntime-node',
    async run(input, n) {
      const feeds = { [inputName]: new ort.Tensor('float32', input, [n, height, width, 3]) };
      const out = await session.run(feeds);
      const t = out[outputName]!;
      const data = (t.data as Float32Array).slice();
      t.dispose();
      return data;
    },
    dispose: () => session.release(),
  };
}

/**
 * The runner, chosen on the first cache miss (`prepare`) or batch: a run whose features all come
 * from the cache never converts the backbone nor opens a session.
 */
export function lazyFeatureRunner(o: FeatureRunnerOptions): FeatureRunner {
  let chosen: Promise<FeatureRunner> | undefined;
  const choose = () => {
    chosen ??= createFeatureRunner(o).then((r) => {
      runner.name = r.name;
      return r;
    });
    // Observed by run() and dispose(); a prepare() nobody follows up must not go unhandled.
    chosen.catch(() => undefined);
    return chosen;
  };
  const runner: FeatureRunner = {
    name: 'none (all features cached)',
    async run(input, n) {
      return (await choose()).run(input, n);
    },
    prepare() {
      choose();
    },
    async dispose() {
      if (chosen) await (await chosen).dispose();
    },
  };
  return runner;
}

/** onnxruntime-node when the conversion and session work, else tfjs (saying why, once). */
export async function createFeatureRunner(o: FeatureRunnerOptions): Promise<FeatureRunner> {
  const runtime = o.runtime ?? (process.env.FERRY_FEATURES_RUNTIME === 'tfjs' ? 'tfjs' : 'auto');
  if (runtime === 'tfjs') return tfjsFeatureRunner(o.tf, o.extractor);
  try {
    return await onnxFeatureRunner(o);
  } catch (error) {
    if (runtime === 'onnxruntime') throw error;
    const reason = String((error as Error).message ?? error).split('\n')[0];
    o.log?.(`note: backbone features on tfjs (${o.tf.getBackend()}), onnxruntime-node not usable: ${reason}`);
    return tfjsFeatureRunner(o.tf, o.extractor);
  }
}
