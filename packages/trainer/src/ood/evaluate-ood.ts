/**
 * `ferry eval --ood DIR`: the exported model's own open-set answer (model.onnx in the run, as
 * `ferry predict` runs it) on photos of none of its classes vs the labelled in-distribution
 * photos: AUROC, FPR at 95 % TPR, the share of each set answered "unknown", and the accuracy on
 * the known photos it accepts. Scores come from the graph's ood_score output.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { auroc, fprAtTpr, type OpenSetSpec } from '@ferry/core';
import { DatasetError, IMAGE_EXTENSIONS, type Sample } from '../data/dataset.js';
import { DecodeError, decodeImageFile } from '../data/decode.js';
import type { SkippedFile } from '../data/loader.js';
import { loadOnnxClassifier } from '../predict/onnx-classifier.js';
import { RunDirError } from '../train/train.js';

export interface OpenSetEvaluation {
  openSet: OpenSetSpec;
  known: number;
  unknown: number;
  auroc: number;
  fpr95: number;
  /** Share of the unknown photos answered "unknown" (what should happen). */
  unknownRejected: number;
  /** Share of the known photos answered "unknown" (the price). */
  knownRejected: number;
  acceptedAccuracy: number;
  overallAccuracy: number;
  knownScores: number[];
  unknownScores: number[];
  /** Known photos: true labels and the model's (calibrated) probabilities, in spec label order. */
  knownLabels: number[];
  knownProbabilities: number[][];
  skipped: SkippedFile[];
}

/** Every image under `dir`, recursively, sorted (an OOD folder needs no class folders). */
export async function listImagesRecursive(dir: string): Promise<string[]> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new DatasetError(`--ood directory ${root} does not exist`);
  if (!(await stat(root)).isDirectory()) throw new DatasetError(`--ood ${root} is not a directory`);
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  await walk(root);
  if (out.length === 0) throw new DatasetError(`no images found under ${root}`);
  return out;
}

export async function evaluateOpenSet(options: {
  runDir: string;
  known: readonly Sample[];
  oodDir: string;
}): Promise<OpenSetEvaluation> {
  const modelPath = join(resolve(options.runDir), 'model.onnx');
  if (!existsSync(modelPath))
    throw new RunDirError(
      `${modelPath} does not exist: --ood evaluates the exported model (run ferry export first)`,
    );
  const unknownPaths = await listImagesRecursive(options.oodDir);
  const model = await loadOnnxClassifier(modelPath);
  const openSet = model.spec.openSet;
  if (!openSet) {
    await model.release();
    throw new RunDirError(
      `${modelPath} has no open-set answer (exported before Ferry fitted one): retrain it to get one`,
    );
  }
  const skipped: SkippedFile[] = [];
  const score = async (path: string) => {
    try {
      return await model.classifier.classify((await decodeImageFile(path)).image, { topK: 1 });
    } catch (error) {
      if (error instanceof DecodeError) {
        skipped.push({ path, reason: error.reason });
        return undefined;
      }
      throw error;
    }
  };
  const knownScores: number[] = [];
  const unknownScores: number[] = [];
  const knownLabels: number[] = [];
  const knownProbabilities: number[][] = [];
  let right = 0;
  let accepted = 0;
  let acceptedRight = 0;
  try {
    for (const s of options.known) {
      const r = await score(s.path);
      if (!r) continue;
      knownScores.push(r.oodScore!);
      knownLabels.push(s.label);
      knownProbabilities.push(Array.from(r.probabilities));
      const ok = model.spec.labels.indexOf(r.predictions[0]!.label) === s.label;
      if (ok) right++;
      if (!r.unknown) {
        accepted++;
        if (ok) acceptedRight++;
      }
    }
    for (const path of unknownPaths) {
      const r = await score(path);
      if (r) unknownScores.push(r.oodScore!);
    }
  } finally {
    await model.release();
  }
  const over = (xs: number[]) =>
    xs.length ? xs.filter((x) => x > openSet.threshold).length / xs.length : Number.NaN;
  return {
    openSet,
    known: knownScores.length,
    unknown: unknownScores.length,
    auroc: auroc(knownScores, unknownScores),
    fpr95: fprAtTpr(knownScores, unknownScores, 0.95),
    unknownRejected: over(unknownScores),
    knownRejected: over(knownScores),
    acceptedAccuracy: accepted ? acceptedRight / accepted : Number.NaN,
    overallAccuracy: knownScores.length ? right / knownScores.length : Number.NaN,
    knownScores,
    unknownScores,
    knownLabels,
    knownProbabilities,
    skipped,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');

export function formatOpenSetEvaluation(e: OpenSetEvaluation): string {
  return [
    `open set: ${e.openSet.method}, unknown when the score is above ${+e.openSet.threshold.toPrecision(6)}`,
    `  unknown photos answered "unknown"   ${pct(e.unknownRejected)}  (${e.unknown} photos)`,
    `  known photos answered "unknown"     ${pct(e.knownRejected)}  (${e.known} photos)`,
    `  AUROC                               ${fixed(e.auroc)}`,
    `  FPR at 95 % TPR                     ${fixed(e.fpr95)}`,
    `  accuracy on accepted known photos   ${fixed(e.acceptedAccuracy)}  (all known photos: ${fixed(e.overallAccuracy)})`,
  ].join('\n');
}
