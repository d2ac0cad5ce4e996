/**
 * The edge API tests' tiny model: `@ferry/trainer/testing`'s exported tiny run with three labels
 * (one more than the web page's, so label handling is not accidentally binary).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenSetMethod } from '@ferry/core';
import { exportTinyModel } from '@ferry/trainer/testing';

export const TINY_LABELS = ['ants', 'bees', 'wasps'];

export function makeTinyModel(labels = TINY_LABELS, seed = 7, openSet?: OpenSetMethod): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-tiny-'));
  return exportTinyModel(dir, { labels, seed, ...(openSet ? { openSet } : {}) });
}

/** The same tiny model as a file exported before the decode rule (no `decode` in its spec). */
export function makeTinyModelWithoutDecodeRule(labels = TINY_LABELS, seed = 7): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-tiny-old-'));
  return exportTinyModel(dir, { labels, seed, decodeRule: false });
}
