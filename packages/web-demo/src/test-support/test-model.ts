/**
 * The model the browser tests build the site with: `@ferry/trainer/testing`'s exported tiny run,
 * at 64 px rather than the default 32 so the resize/crop path still does real work on photos.
 */
import type { OpenSetMethod } from '@ferry/core';
import { exportTinyModel } from '@ferry/trainer/testing';

export const TEST_LABELS = ['ants', 'bees'];

/** Exports a tiny run into `dir` and returns the path of its model.onnx. */
export function tinyExportedModel(
  dir: string,
  labels = TEST_LABELS,
  seed = 1,
  name = 'tiny-web-demo',
  openSet?: OpenSetMethod,
): Promise<string> {
  return exportTinyModel(dir, { labels, seed, size: 64, name, ...(openSet ? { openSet } : {}) });
}
