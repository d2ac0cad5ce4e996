#!/usr/bin/env node
/**
 * Open set: how well each scorer tells photos of none of the classes from in-distribution val
 * photos, and what temperature scaling does to calibration. Every run here is a default
 * `ferry train` (features mode, seed 42); features and logits come from the run's own checkpoint
 * converted to ONNX (@ferry/trainer/ood openPhotoScorer), i.e. what the exported graph sees.
 *
 * - ants/bees vs "unrelated" photos (FERRY_IMAGES_DIR plus the photo wallpapers of the Debian
 *   packages mate-backgrounds and ukui-wallpapers when installed) and vs the 12 flower species;
 * - flowers leave-one-class-out: train on 11 species, the 12th is unknown, for each species.
 * Per method: AUROC, FPR at 95 % TPR, share of val / unknown photos rejected at the fitted
 * threshold, accuracy on the accepted val photos, ECE before/after temperature scaling.
 * Prints one JSON object (bench/run.js writes it to bench/out/open-set.json).
 *
 * Usage: node bench/open-set.mjs DATA_DIR WORK_DIR [--quick]
 *   DATA_DIR holds hymenoptera_data/ and oxford_flowers12/.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseModelSpec } from '@ferry/core';
import { train } from '@ferry/trainer';
import { measureOpenSet, openPhotoScorer } from '@ferry/trainer/ood';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean' } },
});
const [dataDir, workDir] = positionals;
if (!dataDir || !workDir) {
  console.error('usage: node bench/open-set.mjs DATA_DIR WORK_DIR [--quick]');
  process.exit(2);
}
const QUICK = Boolean(values.quick);

/** Methods compared; knn-cosine at three neighbour ranks, the hybrids at k = 1 (the default's). */
const METHODS = [
  ['max-softmax'],
  ['energy'],
  ['centroid-cosine'],
  ['mahalanobis'],
  ['knn-cosine', 1],
  ['knn-cosine', 5],
  ['knn-cosine', 10],
  ['knn-cosine+max-softmax', 1],
  ['knn-cosine+energy', 1],
];
const PHOTO = /\.(jpe?g|png|webp)$/i;
const walk = (d) =>
  existsSync(d)
    ? readdirSync(d)
        .sort()
        .flatMap((f) => {
          const p = join(d, f);
          return statSync(p).isDirectory() ? walk(p) : PHOTO.test(f) ? [p] : [];
        })
    : [];
/** Real photos that share no class with ants/bees or flowers (abstract and tiled art left out). */
function unrelatedPhotos() {
  const images = process.env.FERRY_IMAGES_DIR ? walk(process.env.FERRY_IMAGES_DIR) : [];
  const mate = walk('/usr/share/backgrounds/mate/nature');
  // ukui-wallpapers puts its photos at the top of /usr/share/backgrounds (no subfolder).
  const ukui = existsSync('/usr/share/backgrounds')
    ? readdirSync('/usr/share/backgrounds')
        .filter((f) => PHOTO.test(f))
        .map((f) => join('/usr/share/backgrounds', f))
    : [];
  return { images, mate, ukui, all: [...images, ...mate, ...ukui] };
}

const round = (x, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
function summarize(f, t0) {
  return {
    method: f.k ? `${f.method} k=${f.k}` : f.method,
    auroc: round(f.auroc),
    fpr95: round(f.fpr95),
    valRejected: round(f.valRejected),
    unknownRejected: round(f.unknownRejected),
    acceptedAccuracy: round(f.acceptedAccuracy),
    overallAccuracy: round(f.overallAccuracy),
    eceBefore: round(f.eceBefore),
    eceAfter: round(f.eceAfter),
    temperature: round(f.temperature),
    fitAndScoreMs: Math.round(performance.now() - t0),
  };
}

async function trainRun(data, out) {
  rmSync(out, { recursive: true, force: true });
  const result = await train({
    data,
    out,
    exportOnnx: false,
    report: false,
    ...(QUICK ? { epochs: 2 } : {}),
  });
  const spec = parseModelSpec((await import('node:fs')).readFileSync(join(out, 'spec.json'), 'utf8'));
  return { result, spec };
}

const take = (samples) => (QUICK ? samples.filter((_, i) => i % 8 === 0) : samples);
const asSamples = (paths) => paths.map((path) => ({ path, label: 0 }));
function listSplit(root, labels) {
  return labels.flatMap((label, i) => walk(join(root, label)).map((path) => ({ path, label: i })));
}

async function measureRun(runDir, spec, root, unknownSets) {
  const scorer = await openPhotoScorer(runDir, spec);
  try {
    const tr = await scorer.collect(take(listSplit(join(root, 'train'), spec.labels)));
    const va = await scorer.collect(take(listSplit(join(root, 'val'), spec.labels)));
    const fitInput = {
      train: tr.features,
      trainLabels: tr.samples.map((s) => s.label),
      classes: spec.labels.length,
      val: va.features,
      valLogits: va.logits,
      valLabels: va.samples.map((s) => s.label),
    };
    const out = {};
    for (const [name, samples] of Object.entries(unknownSets)) {
      const unknown = await scorer.collect(take(samples));
      out[name] = { count: unknown.samples.length, methods: [] };
      for (const [method, k] of METHODS) {
        const t0 = performance.now();
        out[name].methods.push(summarize(measureOpenSet({ ...fitInput, method, k }, unknown), t0));
      }
    }
    return { trainCount: tr.samples.length, valCount: va.samples.length, sets: out };
  } finally {
    await scorer.dispose();
  }
}

mkdirSync(workDir, { recursive: true });
const report = { date: new Date().toISOString(), quick: QUICK };

// ants/bees
{
  const root = join(dataDir, 'hymenoptera_data');
  const t0 = performance.now();
  const { result, spec } = await trainRun(root, join(workDir, 'ants-bees'));
  const unrelated = unrelatedPhotos();
  const flowers = walk(join(dataDir, 'oxford_flowers12'));
  report.antsBees = {
    valAccuracy: result.valAccuracy,
    trainSeconds: round(result.durationSeconds, 1),
    defaultOpenSet: spec.openSet,
    unrelatedSources: {
      images: unrelated.images.length,
      mate: unrelated.mate.length,
      ukui: unrelated.ukui.length,
    },
    ...(await measureRun(join(workDir, 'ants-bees'), spec, root, {
      unrelated: asSamples(unrelated.all),
      flowers: asSamples(flowers),
    })),
    seconds: round((performance.now() - t0) / 1000, 1),
  };
  console.error(`open-set: ants/bees done in ${report.antsBees.seconds} s`);
}

// flowers leave-one-class-out
{
  const root = join(dataDir, 'oxford_flowers12');
  const species = readdirSync(join(root, 'train')).sort();
  report.flowersLoco = [];
  for (const held of QUICK ? species.slice(0, 2) : species) {
    const t0 = performance.now();
    const data = join(workDir, `loco-data-${held}`);
    rmSync(data, { recursive: true, force: true });
    for (const split of ['train', 'val'])
      for (const s of species)
        if (s !== held) {
          // Copies (in WORK_DIR, removed after): the dataset lister skips symbolic links.
          mkdirSync(join(data, split, s), { recursive: true });
          for (const f of readdirSync(join(root, split, s)))
            copyFileSync(join(root, split, s, f), join(data, split, s, f));
        }
    const runDir = join(workDir, `loco-run-${held}`);
    const { result, spec } = await trainRun(data, runDir);
    const heldOut = [...walk(join(root, 'train', held)), ...walk(join(root, 'val', held))];
    const m = await measureRun(runDir, spec, data, { heldOut: asSamples(heldOut) });
    report.flowersLoco.push({
      heldOut: held,
      valAccuracy: result.valAccuracy,
      unknownCount: m.sets.heldOut.count,
      methods: m.sets.heldOut.methods,
      seconds: round((performance.now() - t0) / 1000, 1),
    });
    console.error(`open-set: flowers without ${held} done`);
    rmSync(data, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(report));
