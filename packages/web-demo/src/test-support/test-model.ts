/**
 * The model the browser tests build the site with: a tiny random-weight run made by the
 * trainer's `createTinyRun` and exported by the real exporter (`exportRunToOnnx`), so the page
 * is tested on exactly the kind of file `ferry export` writes.
 */
import { join } from 'node:path';
import type { OpenSetMethod } from '@ferry/core';
import { exportRunToOnnx } from '@ferry/trainer/export';
import { createTinyRun } from '@ferry/trainer/testing';

export const TEST_LABELS = ['ants', 'bees'];

/** Exports a tiny run into `dir` and returns the path of its model.onnx. */
export async function tinyExportedModel(
  dir: string,
  labels = TEST_LABELS,
  seed = 1,
  name = 'tiny-web-demo',
  openSet?: OpenSetMethod,
): Promise<string> {
  const runDir = join(dir, `tiny-run-${seed}`);
  // 64 px rather than the default 32: the resize/crop path still does real work on photos.
  await createTinyRun(runDir, { labels, seed, size: 64, name, ...(openSet ? { openSet } : {}) });
  const { path } = await exportRunToOnnx({ runDir, out: join(runDir, 'model.onnx') });
  return path;
}
