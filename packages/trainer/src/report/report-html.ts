/**
 * report.html: one self-contained page (inline SVG and JPEG data URIs, no network) with the
 * loss/accuracy curves, the confusion matrix, per-class metrics, a grid of augmented training
 * samples and a grid of val predictions with the mistakes marked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyTransforms,
  createRandom,
  type DecodeRule,
  decodeRuleForPipeline,
  expectedCalibrationError,
  type Image,
  type OpenSetSpec,
  RANDOM_OPS,
  reliabilityBins,
  resize,
  softmaxWithTemperature,
  type TransformStep,
} from '@ferry/core';
import { loadSharp } from '../commonjs-packages.js';
import { type Dataset, displayPath, type Sample } from '../data/dataset.js';
import { decodeImageFile } from '../data/decode.js';
import { type PlainView, pickPipeline } from '../data/loader.js';
import { prefetchMap } from '../data/prefetch.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { TrainResult } from '../train/results.js';
import { escapeHtml, histogramChart, lineChart, reliabilityChart } from './svg-chart.js';

const THUMB = 112;

/** The model's input width: the last crop or resize of its eval pipeline (224 by default). */
function modelInputWidth(evalPipeline: readonly TransformStep[]): number {
  for (let i = evalPipeline.length - 1; i >= 0; i--) {
    const step = evalPipeline[i]!;
    if (step.op === 'centerCrop' || step.op === 'resize' || step.op === 'randomResizedCrop')
      return step.width;
  }
  return THUMB * 2;
}
const REPORT_DECODES_IN_FLIGHT = 4;

async function thumbnail(image: Image): Promise<string> {
  const small = resize(image, THUMB, Math.max(1, Math.round((THUMB * image.height) / image.width)));
  // Imported here, not at the top: `ferry train` starts without loading libvips.
  const sharp = loadSharp();
  const jpeg = await sharp(Buffer.from(small.data), {
    raw: { width: small.width, height: small.height, channels: 3 },
  })
    .jpeg({ quality: 70 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** One figure's HTML around its thumbnail; '' (left out) when the thumbnail cannot be made. */
function figure(image: Image, html: (src: string) => string): Promise<string> {
  return thumbnail(image).then(html, () => '');
}

/**
 * The report's photos decoded a few at a time and yielded in order; null for a file that no
 * longer decodes. `rule` is the thumbnails' decode rule: a JPEG decodes at the DCT scale the
 * 112-px figures need, a quarter of the pixels for a 500x375 photo (thumbnailPipeline).
 */
function decodeInOrder(paths: readonly string[], rule: DecodeRule): AsyncGenerator<Image | null> {
  return prefetchMap(
    paths,
    (path) =>
      decodeImageFile(path, rule).then(
        ({ image }) => image,
        () => null,
      ),
    REPORT_DECODES_IN_FLIGHT,
  );
}

/**
 * decodeInOrder, then `steps` — through `transform` (the run's pool) when given, every photo at
 * once; the same images either way (deterministic steps, the same decoder).
 */
function transformedInOrder(
  paths: readonly string[],
  rule: DecodeRule,
  steps: readonly TransformStep[],
  transform: ReportInput['transformImage'],
): AsyncGenerator<Image | null> {
  if (transform) return prefetchMap(paths, (path) => transform(path, rule, steps), paths.length);
  return (async function* () {
    for await (const image of decodeInOrder(paths, rule)) yield image && applyTransforms(image, steps);
  })();
}

/**
 * A pipeline at thumbnail size: every output size scaled so the model's input becomes THUMB
 * wide. The same crops (same random draws, up to rounding) at the size they are shown, instead
 * of a full-size decode and transforms at 224 px shrunk to 112 afterwards: this was about half a
 * second of every default run, the largest part of its outputs.
 */
export function thumbnailPipeline(steps: readonly TransformStep[], inputWidth: number): TransformStep[] {
  const f = THUMB / inputWidth;
  const px = (n: number) => Math.max(1, Math.round(n * f));
  return steps.map((step) => {
    switch (step.op) {
      case 'resize':
      case 'centerCrop':
      case 'randomResizedCrop':
        return { ...step, width: px(step.width), height: px(step.height) };
      case 'resizeShorterSide':
        return { ...step, size: px(step.size) };
      default:
        return step;
    }
  });
}

/**
 * Up to `count` samples taken round-robin over the classes (each class in its listed order), so
 * the grid shows every class: the train list is sorted by class, and its first `count` entries
 * are often all one class.
 */
export function spreadOverClasses(samples: readonly Sample[], count: number): Sample[] {
  const byClass = new Map<number, Sample[]>();
  for (const sample of samples) {
    const list = byClass.get(sample.label) ?? [];
    list.push(sample);
    byClass.set(sample.label, list);
  }
  const queues = [...byClass.entries()].sort(([a], [b]) => a - b).map(([, list]) => list);
  const picked: Sample[] = [];
  for (let round = 0; picked.length < count && queues.some((q) => round < q.length); round++)
    for (const queue of queues) if (round < queue.length && picked.length < count) picked.push(queue[round]!);
  return picked;
}

export interface ReportInput {
  runDir: string;
  dataset: Dataset;
  result: TrainResult;
  trainPipeline: readonly TransformStep[];
  /** The plain view shown among the augmented ones (see loader's pickPipeline). */
  plainView?: PlainView;
  evalPipeline: readonly TransformStep[];
  seed: number;
  /** The fitted open-set answer: report.html then shows the val score distribution and calibration. */
  openSet?: OpenSetSpec;
  /** Images per grid (defaults keep the file around 1 MB). */
  augmentedSamples?: number;
  valSamples?: number;
  /**
   * Decodes a photo at `rule` and runs deterministic `steps` elsewhere (the run's transform pool,
   * warm after extraction); null when the photo no longer decodes. Default: here.
   */
  transformImage?: (path: string, rule: DecodeRule, steps: readonly TransformStep[]) => Promise<Image | null>;
}

export function confusionTable(labels: readonly string[], confusion: number[][]): string {
  const max = Math.max(1, ...confusion.flat());
  const head = labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('');
  const rows = confusion
    .map((row, i) => {
      const cells = row
        .map((v, j) => {
          const alpha = (v / max).toFixed(2);
          const color = i === j ? `rgba(40,140,60,${alpha})` : `rgba(200,40,40,${alpha})`;
          return `<td style="background:${color}">${v}</td>`;
        })
        .join('');
      return `<tr><th>${escapeHtml(labels[i]!)}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="cm"><tr><th>true \\ predicted</th>${head}</tr>${rows}</table>`;
}

export async function renderReport(o: ReportInput): Promise<string> {
  const { dataset, result } = o;
  const h = result.history;
  const loss = lineChart('loss', [
    { name: 'train loss', color: '#1f77b4', values: h.map((e) => e.trainLoss) },
    { name: 'val loss', color: '#d62728', values: h.map((e) => e.valLoss) },
  ]);
  const acc = lineChart('accuracy', [
    { name: 'train acc', color: '#1f77b4', values: h.map((e) => e.trainAccuracy) },
    { name: 'val acc', color: '#d62728', values: h.map((e) => e.valAccuracy) },
  ]);
  const perClass = dataset.labels
    .map((l) => {
      const m = result.metrics.perClass[l]!;
      return `<tr><td>${escapeHtml(l)}</td><td>${m.precision.toFixed(3)}</td><td>${m.recall.toFixed(3)}</td><td>${m.f1.toFixed(3)}</td><td>${m.support}</td></tr>`;
    })
    .join('');

  // Training samples: what the model saw, through the views it trained on (outputs.ts).
  const skipped = new Set(result.skipped.map((s) => s.path));
  const random = createRandom(o.seed);
  // Thumbnail-size pipelines and decodes; the model's input width is the eval pipeline's crop.
  const inputWidth = modelInputWidth(o.evalPipeline);
  const small = (steps: readonly TransformStep[]) => thumbnailPipeline(steps, inputWidth);
  const evalThumb = small(o.evalPipeline);
  const thumbRule = decodeRuleForPipeline(evalThumb);
  const thumbViews = {
    pipeline: small(o.trainPipeline),
    ...(o.plainView ? { plainView: { ...o.plainView, pipeline: small(o.plainView.pipeline) } } : {}),
  };
  // Two views of each photo where its views differ; one view each of twice the photos where the
  // model saw every photo one way (features mode's default: the plain view).
  const varied = !!o.plainView || o.trainPipeline.some((step) => RANDOM_OPS.has(step.op));
  const viewsPerSample = varied ? 2 : 1;
  const shown = spreadOverClasses(
    dataset.train.filter((s) => !skipped.has(s.path)),
    ((o.augmentedSamples ?? 12) * 2) / viewsPerSample,
  );
  const augFigures: Promise<string>[] = [];
  let shownIndex = 0;
  // One fixed view per photo (the default) transforms with the val photos' helper; views with
  // random draws are made here, where the draws stay in sample order.
  const images = varied
    ? decodeInOrder(
        shown.map((s) => s.path),
        thumbRule,
      )
    : transformedInOrder(
        shown.map((s) => s.path),
        thumbRule,
        thumbViews.pipeline,
        o.transformImage,
      );
  for await (const image of images) {
    const sample = shown[shownIndex++]!;
    // A file that decoded during training but not now (changed on disk): left out.
    if (!image) continue;
    // The random draws stay in sample order (same report for the same seed); thumbnails encode
    // in the background while the next sample transforms.
    for (let v = 0; v < viewsPerSample; v++) {
      const t = varied ? applyTransforms(image, pickPipeline(thumbViews, random), random) : image;
      augFigures.push(
        figure(
          t,
          (src) =>
            `<figure><img src="${src}" alt=""><figcaption>${escapeHtml(dataset.labels[sample.label]!)}</figcaption></figure>`,
        ),
      );
    }
  }
  const aug = await Promise.all(augFigures);

  // Val predictions, mistakes first.
  const preds = [...result.predictions].sort(
    (a, b) => Number(a.label === a.predicted) - Number(b.label === b.predicted),
  );
  const shownPreds = preds.slice(0, o.valSamples ?? 36);
  const valFigures: Promise<string>[] = [];
  let predIndex = 0;
  for await (const t of transformedInOrder(
    shownPreds.map((p) => p.path),
    thumbRule,
    evalThumb,
    o.transformImage,
  )) {
    const p = shownPreds[predIndex++]!;
    if (!t) continue; // see above
    const wrong = p.label !== p.predicted;
    const name = escapeHtml(displayPath(dataset, p.path));
    valFigures.push(
      figure(
        t,
        (src) =>
          `<figure class="${wrong ? 'wrong' : 'right'}"><img src="${src}" alt=""><figcaption>${wrong ? '✗' : '✓'} ${escapeHtml(
            dataset.labels[p.predicted]!,
          )} ${(p.probabilities[p.predicted]! * 100).toFixed(0)}%${wrong ? ` (true: ${escapeHtml(dataset.labels[p.label]!)})` : ''}<small class="file">${name}</small></figcaption></figure>`,
      ),
    );
  }
  const val = await Promise.all(valFigures);
  const openSet = o.openSet ? openSetSection(o.openSet, trainingOpenSetData(result, o.openSet)) : '';
  const skippedList = result.skipped.length
    ? `<h2>Skipped files (${result.skipped.length})</h2><ul>${result.skipped
        .map(
          (s) => `<li><code>${escapeHtml(displayPath(dataset, s.path))}</code>: ${escapeHtml(s.reason)}</li>`,
        )
        .join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry run report</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
.charts{display:flex;gap:16px;flex-wrap:wrap}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;width:${THUMB}px;font-size:11px}
figure img{width:${THUMB}px;display:block}
/* camera file names have no spaces: break them anywhere rather than run into the next thumbnail */
figcaption{overflow-wrap:anywhere}
figcaption .file{display:block;color:#666}figure.wrong{outline:3px solid #d62728}figure.right{outline:1px solid #2ca02c}
</style></head><body>
<h1>Ferry run report</h1>
<p>Val accuracy <b>${result.valAccuracy.toFixed(4)}</b> (best epoch ${result.bestEpoch} of ${result.epochsRun}), macro F1 ${result.metrics.macroF1.toFixed(4)}, ${result.metrics.count} val images, backend ${escapeHtml(result.backend)}, ${result.durationSeconds.toFixed(1)} s.</p>
<div class="charts">${loss}${acc}</div>
<h2>Confusion matrix</h2>${confusionTable(dataset.labels, result.metrics.confusion)}
<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClass}</table>
${openSet}
<h2>Training samples, as the model saw them</h2><div class="grid">${aug.join('')}</div>
<h2>Val predictions (mistakes first, outlined red)</h2><div class="grid">${val.join('')}</div>
${skippedList}
</body></html>
`;
}

export interface OpenSetReportData {
  /** Scores of the in-distribution (val) photos. */
  knownScores: readonly number[];
  /** Scores of photos of none of the classes (`ferry eval --ood`), when measured. */
  unknownScores?: readonly number[];
  /** True labels of the known photos and their probabilities before / after temperature scaling. */
  labels: readonly number[];
  before: readonly (readonly number[])[];
  after: readonly (readonly number[])[];
}

/** The training run's view: val scores from the fit, calibrated = softmax(log p / T). */
export function trainingOpenSetData(result: TrainResult, openSet: OpenSetSpec): OpenSetReportData {
  const { predictions } = result;
  return {
    knownScores: result.openSetValScores ?? [],
    labels: predictions.map((p) => p.label),
    before: predictions.map((p) => p.probabilities),
    // softmax(log p / T) = softmax(logits / T): the calibrated probabilities the model reports.
    after: predictions.map((p) =>
      softmaxWithTemperature(
        p.probabilities.map((x) => Math.log(Math.max(x, 1e-30))),
        openSet.temperature,
      ),
    ),
  };
}

export const OPEN_SET_SECTION = { start: '<!-- ferry:open-set -->', end: '<!-- /ferry:open-set -->' };

/**
 * "Unknown photos and calibration": the known photos' open-set scores against the threshold (and
 * the unknown photos' once `ferry eval --ood` measured some), and the reliability diagram of the
 * known photos before and after temperature scaling. Between markers, so eval can replace it.
 */
export function openSetSection(os: OpenSetSpec | undefined, d: OpenSetReportData): string {
  if (!os) return '';
  const histogram = histogramChart(
    `${os.method} score`,
    [
      { name: 'known (val) photos', color: '#2ca02c', values: [...d.knownScores] },
      ...(d.unknownScores
        ? [{ name: 'unknown photos', color: '#d62728', values: [...d.unknownScores] }]
        : []),
    ],
    { value: os.threshold, label: `threshold ${os.threshold.toPrecision(4)}` },
  );
  const reliability = reliabilityChart('val', [
    {
      name: `softmax (ECE ${expectedCalibrationError(d.before, d.labels).toFixed(3)})`,
      color: '#1f77b4',
      bins: reliabilityBins(d.before, d.labels),
    },
    {
      name: `T = ${os.temperature.toPrecision(3)} (ECE ${expectedCalibrationError(d.after, d.labels).toFixed(3)})`,
      color: '#ff7f0e',
      bins: reliabilityBins(d.after, d.labels),
    },
  ]);
  const rejected =
    os.valRejected === undefined
      ? ''
      : ` It rejects ${(os.valRejected * 100).toFixed(1)} % of the val photos (budget 5 %).`;
  const unknown = d.unknownScores
    ? ` Of the ${d.unknownScores.length} unknown photos, ${((d.unknownScores.filter((s) => s > os.threshold).length / Math.max(1, d.unknownScores.length)) * 100).toFixed(1)} % are answered "unknown".`
    : ' <code>ferry eval --run RUN --data DIR --ood OOD_DIR</code> adds the scores of photos of none of the classes here.';
  return `${OPEN_SET_SECTION.start}<h2>Unknown photos and calibration</h2>
<p>A photo is answered "unknown" when its ${escapeHtml(os.method)} score is above <b>${os.threshold.toPrecision(6)}</b>, the threshold fitted on val.${rejected} Probabilities are divided by the temperature <b>${os.temperature.toPrecision(4)}</b> fitted on val.${unknown}</p>
<div class="charts">${histogram}${reliability}</div>${OPEN_SET_SECTION.end}`;
}

/**
 * Replaces the open-set section of an existing report.html (`ferry eval --ood` adds the unknown
 * photos' scores); false when the run has no report or the report has no such section.
 */
export async function updateReportOpenSet(runDir: string, section: string): Promise<boolean> {
  const path = join(runDir, 'report.html');
  let html: string;
  try {
    html = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  const start = html.indexOf(OPEN_SET_SECTION.start);
  const end = html.indexOf(OPEN_SET_SECTION.end);
  if (start < 0 || end < start) return false;
  await writeFileAtomic(path, html.slice(0, start) + section + html.slice(end + OPEN_SET_SECTION.end.length));
  return true;
}

export async function writeReport(o: ReportInput): Promise<string> {
  const path = join(o.runDir, 'report.html');
  await writeFileAtomic(path, await renderReport(o));
  return path;
}
