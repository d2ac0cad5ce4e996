#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
/**
 * Open set: how well each scorer tells photos of none of the classes from in-distribution val
 * photos, and what temperature scaling does to calibration. Every run here is a default
 * `ferry train` (features mode, seed 42); features and logits come from the run's own checkpoint
 * converted to ONNX (@ferry/trainer/ood openPhotoScorer), i.e. what the exported graph sees.
 *
 * - ants/bees vs unrelated photos (unrelatedPhotos: the rule that picks them), vs illustrations
 *   (ukui-wallpapers) and vs the 12 flower species;
 * - flowers leave-one-class-out: train on 11 species, the 12th is unknown, for each species.
 * Per method: AUROC, FPR at 95 % TPR, share of val / unknown photos rejected at the fitted
 * threshold, accuracy on the accepted val photos, ECE before/after temperature scaling.
 * Prints one JSON object (bench/run.js writes it to bench/out/open-set.json).
 *
 * Usage: node bench/open-set.mjs DATA_DIR WORK_DIR [--quick]
 *   DATA_DIR holds hymenoptera_data/ and oxford_flowers12/.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { auroc, parseModelSpec } from '@ferry/core';
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
const DEBS = resolve(dirname(fileURLToPath(import.meta.url)), 'out', 'debs');

/**
 * Methods compared: [method, k, logit weight]. knn-cosine at three neighbour ranks, the hybrids at
 * k = 1 and 3; knn-cosine+energy k=1 with weight 1 is the default before 2026-12-01, and
 * knn-cosine+max-softmax k=3 with weight 1 shows what the weight does (the weight of the logit
 * score is otherwise @ferry/model open-set/methods/hybrid.ts hybridLogitWeight: 1 - 1/classes).
 */
const METHODS = [
  ['max-softmax'],
  ['energy'],
  ['centroid-cosine'],
  ['mahalanobis'],
  ['knn-cosine', 1],
  ['knn-cosine', 3],
  ['knn-cosine', 5],
  ['knn-cosine+energy', 1, 1],
  ['knn-cosine+energy', 3],
  ['knn-cosine+max-softmax', 1],
  ['knn-cosine+max-softmax', 3, 1],
  ['knn-cosine+max-softmax', 3],
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

/**
 * Files of a Debian package: where it is installed, else extracted (not installed: scikit-image
 * would pull a hundred Python packages) from `apt-get download` into bench/out/debs/PKG once.
 * Missing package or no apt: none, and the report counts what it had.
 */
function debFiles(pkg) {
  const listed = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
  if (listed.status === 0) return listed.stdout.split('\n').filter((f) => f && existsSync(f));
  const dir = join(DEBS, pkg);
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const got = spawnSync('apt-get', ['download', pkg], { cwd: dir, encoding: 'utf8' });
    const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (got.status !== 0 || !deb) {
      console.error(`open-set: ${pkg} not available (${(got.stderr || '').trim().split('\n').pop()})`);
      return [];
    }
    spawnSync('dpkg-deb', ['-x', deb, '.'], { cwd: dir, stdio: 'inherit' });
    rmSync(join(dir, deb));
    writeFileSync(join(dir, '.done'), '');
  }
  return walk(dir);
}
const named = (files, names) => files.filter((f) => names.includes(basename(f)));

/**
 * Real photos that share no class with ants/bees, chosen by a rule and never by their scores:
 * every photograph (a camera's picture, not a drawing, render or synthetic test pattern) in
 * - FERRY_IMAGES_DIR (7: dog, eagle, giraffe, horses, kite, person, The Scream as photographed);
 * - mate-backgrounds' nature folder (12; four are close-ups of flowers, a ladybird and dandelion
 *   seeds: near cases for a bee model, kept);
 * - lomiri-wallpapers-16.04 and -20.04 (15 of their 19 JPEGs; left out as not photographs:
 *   Fossa, Infinite-Sea, Painting-Colors, umang, and the packages' PNGs);
 * - scikit-image's data folder (python3-skimage; 17: its photographs of at least 256 px a side;
 *   left out: test patterns, logos, silhouettes, palettes, and page/text under 256 px).
 * ukui-wallpapers' 12 top-level images are illustrations (a calla drawn in gradients, a goldfish,
 * city shapes): measured as their own set, not as photos.
 */
const LOMIRI_PHOTOS = [
  'Bridge_by_Sander_Klootwijk.jpg',
  'Dragonfly_by_Bolly.jpg',
  'Kleiber_by_Lukas_Baubkus.jpg',
  'Picture_0B_by_freespace.jpg',
  'Picture_1A_by_freespace.jpg',
  'Wine_by_Jakkub_Mede.jpg',
  'aitzgorri_by_Aitzol_Berasategi.jpg',
  'analogpattern_by_Peter_Nerlich.jpg',
  'free_by_Peter_Nerlich.jpg',
  'friends_by_Aitzol_Berasategi.jpg',
  'greentock_by_Peter_Nerlich.jpg',
  'life_by_Aitzol_Berasategi.jpg',
  'picosdeeuropa_by_Aitzol_Berasategi.jpg',
  'seeding_by_Clements_Engelhardt.jpg',
  'sunset_by_Aitzol_Berasategi.jpg',
];
const SKIMAGE_PHOTOS = [
  'astronaut.png',
  'brick.png',
  'camera.png',
  'cell.png',
  'chelsea.png',
  'clock_motion.png',
  'coffee.png',
  'coins.png',
  'grass.png',
  'gravel.png',
  'hubble_deep_field.jpg',
  'ihc.png',
  'moon.png',
  'motorcycle_left.png',
  'motorcycle_right.png',
  'retina.jpg',
  'rocket.jpg',
];
function unrelatedPhotos() {
  const sources = {
    images: process.env.FERRY_IMAGES_DIR ? walk(process.env.FERRY_IMAGES_DIR) : [],
    mate: walk('/usr/share/backgrounds/mate/nature'),
    lomiri: named(
      [...debFiles('lomiri-wallpapers-16.04'), ...debFiles('lomiri-wallpapers-20.04')],
      LOMIRI_PHOTOS,
    ),
    skimage: named(
      debFiles('python3-skimage').filter((f) => f.includes('/skimage/data/')),
      SKIMAGE_PHOTOS,
    ),
  };
  // ukui-wallpapers puts its images at the top of /usr/share/backgrounds (no subfolder).
  const illustrations = debFiles('ukui-wallpapers').filter(
    (f) => PHOTO.test(f) && dirname(f) === '/usr/share/backgrounds',
  );
  return { sources, all: Object.values(sources).flat(), illustrations };
}

const round = (x, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
/** The label a method's rows carry: `knn-cosine+energy k=1 w=1` when the weight is not the rule's. */
const methodLabel = (method, k, w) => `${method}${k ? ` k=${k}` : ''}${w !== undefined ? ` w=${w}` : ''}`;

/**
 * One method's figures; with `sourceOf` (photo path -> source name) also the AUROC of each
 * source's photos alone against the same val photos, and with `worst` the names and scores of
 * that many unknown photos most like the training photos.
 */
function summarize(label, f, t0, unknownPaths, sourceOf, worst = 0) {
  const bySource = {};
  if (sourceOf)
    for (const src of new Set(unknownPaths.map(sourceOf))) {
      const out = f.outScores.filter((_, i) => sourceOf(unknownPaths[i]) === src);
      bySource[src] = { count: out.length, auroc: round(auroc(f.inScores, out)) };
    }
  const lowest = f.outScores
    .map((score, i) => ({
      photo: basename(unknownPaths[i]),
      score: round(score),
      // Share of val photos scored above this unknown photo (1: more "known" than every val photo).
      valAbove: round(f.inScores.filter((x) => x > score).length / f.inScores.length),
    }))
    .sort((a, b) => a.score - b.score)
    .slice(0, worst);
  return {
    method: label,
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
    ...(sourceOf ? { bySource } : {}),
    ...(worst ? { lowestScored: lowest } : {}),
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
  const spec = parseModelSpec(readFileSync(join(out, 'spec.json'), 'utf8'));
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
    const def = parseModelSpec(readFileSync(join(runDir, 'spec.json'), 'utf8')).openSet;
    for (const [name, set] of Object.entries(unknownSets)) {
      const unknown = await scorer.collect(take(set.samples));
      const paths = unknown.samples.map((s) => s.path);
      out[name] = { count: unknown.samples.length, methods: [] };
      for (const [method, k, logitWeight] of METHODS) {
        const t0 = performance.now();
        const f = measureOpenSet({ ...fitInput, method, k, logitWeight }, unknown);
        const isDefault = method === def?.method && k === def?.k && logitWeight === undefined;
        out[name].methods.push({
          ...summarize(
            methodLabel(method, k, logitWeight),
            f,
            t0,
            paths,
            set.sourceOf,
            isDefault ? set.worst : 0,
          ),
          ...(isDefault ? { isDefault } : {}),
        });
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
    unrelatedSources: Object.fromEntries(Object.entries(unrelated.sources).map(([k, v]) => [k, v.length])),
    ...(await measureRun(join(workDir, 'ants-bees'), spec, root, {
      unrelated: {
        samples: asSamples(unrelated.all),
        sourceOf: (path) => Object.keys(unrelated.sources).find((k) => unrelated.sources[k].includes(path)),
        worst: 12,
      },
      illustrations: { samples: asSamples(unrelated.illustrations) },
      flowers: { samples: asSamples(flowers) },
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
    const m = await measureRun(runDir, spec, data, { heldOut: { samples: asSamples(heldOut) } });
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
