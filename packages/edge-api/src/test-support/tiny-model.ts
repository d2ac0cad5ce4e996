/**
 * A small classifier ONNX file for the always-on tests, produced by the real exporter:
 * `createTinyRun` (a random-weight tfjs run directory) then `exportRunToOnnx`, so the tests
 * serve exactly the kind of file `ferry export` writes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenSetMethod } from '@ferry/core';
import { exportRunToOnnx } from '@ferry/trainer/export';
import { createTinyRun } from '@ferry/trainer/testing';

export const TINY_LABELS = ['ants', 'bees', 'wasps'];

/** `openSet`: fit an open-set answer with that method (default none: a model from before it existed). */
export async function makeTinyModel(
  labels = TINY_LABELS,
  seed = 7,
  openSet?: OpenSetMethod,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-tiny-'));
  const runDir = join(dir, 'run');
  await createTinyRun(runDir, { labels, seed, ...(openSet ? { openSet } : {}) });
  const out = join(dir, 'model.onnx');
  const result = await exportRunToOnnx({ runDir, out });
  return result.path;
}
