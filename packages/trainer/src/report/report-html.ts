/**
 * report.html: one self-contained page (inline SVG and JPEG data URIs, no network) with the
 * loss/accuracy curves, the confusion matrix, per-class metrics, a grid of augmented training
 * samples and a grid of val predictions with the mistakes marked.
 */
import { join } from 'node:path';
import { applyTransforms, createRandom, type Image, resize, type TransformStep } from '@ferry/core';
import sharp from 'sharp';
import { type Dataset, displayPath, type Sample } from '../data/dataset.js';
import { decodeImageFile } from '../data/decode.js';
import { type PlainView, pickPipeline } from '../data/loader.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { TrainResult } from '../train/results.js';
import { escapeHtml, lineChart } from './svg-chart.js';

const THUMB = 112;

async function thumbnail(image: Image): Promise<string> {
  const small = resize(image, THUMB, Math.max(1, Math.round((THUMB * image.height) / image.width)));
  const jpeg = await sharp(Buffer.from(small.data), {
    raw: { width: small.width, height: small.height, channels: 3 },
  })
    .jpeg({ quality: 70 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
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
  /** finetune: the plain view shown among the augmented ones (see loader's pickPipeline). */
  plainView?: PlainView;
  evalPipeline: readonly TransformStep[];
  seed: number;
  /** Images per grid (defaults keep the file around 1 MB). */
  augmentedSamples?: number;
  valSamples?: number;
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

  // Augmented training samples: what the model saw, through core's train pipeline.
  const skipped = new Set(result.skipped.map((s) => s.path));
  const aug: string[] = [];
  const random = createRandom(o.seed);
  const views = { pipeline: o.trainPipeline, ...(o.plainView ? { plainView: o.plainView } : {}) };
  const shown = spreadOverClasses(
    dataset.train.filter((s) => !skipped.has(s.path)),
    o.augmentedSamples ?? 12,
  );
  for (const sample of shown) {
    try {
      const { image } = await decodeImageFile(sample.path);
      for (let v = 0; v < 2; v++) {
        const t = applyTransforms(image, pickPipeline(views, random), random);
        aug.push(
          `<figure><img src="${await thumbnail(t)}" alt=""><figcaption>${escapeHtml(dataset.labels[sample.label]!)}</figcaption></figure>`,
        );
      }
    } catch {
      // A file that decoded during training but not now (changed on disk): leave it out.
    }
  }

  // Val predictions, mistakes first.
  const preds = [...result.predictions].sort(
    (a, b) => Number(a.label === a.predicted) - Number(b.label === b.predicted),
  );
  const val: string[] = [];
  for (const p of preds.slice(0, o.valSamples ?? 36)) {
    try {
      const { image } = await decodeImageFile(p.path);
      const t = applyTransforms(image, o.evalPipeline);
      const wrong = p.label !== p.predicted;
      const name = escapeHtml(displayPath(dataset, p.path));
      val.push(
        `<figure class="${wrong ? 'wrong' : 'right'}"><img src="${await thumbnail(t)}" alt=""><figcaption>${wrong ? '✗' : '✓'} ${escapeHtml(
          dataset.labels[p.predicted]!,
        )} ${(p.probabilities[p.predicted]! * 100).toFixed(0)}%${wrong ? ` (true: ${escapeHtml(dataset.labels[p.label]!)})` : ''}<small class="file">${name}</small></figcaption></figure>`,
      );
    } catch {
      // See above.
    }
  }
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
<h2>Augmented training samples</h2><div class="grid">${aug.join('')}</div>
<h2>Val predictions (mistakes first, outlined red)</h2><div class="grid">${val.join('')}</div>
${skippedList}
</body></html>
`;
}

export async function writeReport(o: ReportInput): Promise<string> {
  const path = join(o.runDir, 'report.html');
  await writeFileAtomic(path, await renderReport(o));
  return path;
}
