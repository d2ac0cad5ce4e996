/**
 * What the train() tests share: a private temp root holding a train/val folder-per-class set of
 * generated JPEGs (ants, bees) and a tiny random-weight backbone, with FERRY_CACHE_DIR pointed
 * into it while the test file runs, so feature-cache hits and misses are that file's own. The
 * paths are fixed when the file is collected; the files are made in beforeAll and removed in
 * afterAll.
 */
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';
import type { TrainEvent, TrainOptions } from '../train/options.js';
import { type TrainResult, train } from '../train/train.js';
import { makeImageFolder, makeTinyBackbone } from './synthetic.js';

export interface TrainFixture {
  root: string;
  /** DIR with train/ and val/ inside. */
  data: string;
  /** A tfjs LayersModel directory whose feature layer is `out_relu`. */
  backbone: string;
}

export interface TrainFixtureOptions {
  trainPerClass: number;
  valPerClass: number;
  /** Runs after the photos are written, before the backbone (e.g. to add bad files). */
  prepare?: (fixture: TrainFixture) => Promise<void>;
}

export function useTrainFixture(name: string, options: TrainFixtureOptions): TrainFixture {
  const root = mkdtempSync(join(tmpdir(), `ferry-${name}-`));
  const fixture: TrainFixture = { root, data: join(root, 'data'), backbone: join(root, 'backbone') };
  const savedCache = process.env.FERRY_CACHE_DIR;
  beforeAll(async () => {
    process.env.FERRY_CACHE_DIR = join(root, 'cache');
    await makeImageFolder(join(fixture.data, 'train'), ['ants', 'bees'], options.trainPerClass);
    await makeImageFolder(join(fixture.data, 'val'), ['ants', 'bees'], options.valPerClass, 2);
    await options.prepare?.(fixture);
    await makeTinyBackbone(fixture.backbone);
  });
  afterAll(async () => {
    if (savedCache === undefined) delete process.env.FERRY_CACHE_DIR;
    else process.env.FERRY_CACHE_DIR = savedCache;
    await rm(root, { recursive: true, force: true });
  });
  return fixture;
}

/** Weights of one layer of a saved model, each flattened. */
export async function layerWeights(modelDir: string, layer: string): Promise<number[][]> {
  const model = await loadLayersModelFromDir(tf, join(modelDir, 'model.json'));
  const values = model
    .getLayer(layer)
    .getWeights()
    .map((w) => Array.from(w.dataSync()));
  model.dispose();
  return values;
}

/** train() aborted the moment `stopWhen` sees an event: what Ctrl-C does in the middle of a run. */
export function trainInterrupted(
  options: TrainOptions,
  stopWhen: (event: TrainEvent) => boolean,
): Promise<TrainResult> {
  const controller = new AbortController();
  return train({
    ...options,
    signal: controller.signal,
    onProgress: (e) => {
      if (stopWhen(e)) controller.abort();
    },
  });
}

/** A run directory's `.state/state.json`, what --resume reads. */
export async function readRunState(runDir: string) {
  return JSON.parse(await readFile(join(runDir, '.state', 'state.json'), 'utf8'));
}
