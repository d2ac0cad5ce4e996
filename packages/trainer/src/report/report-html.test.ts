/**
 * report.html as a person sees it: every class in the augmented-sample grid, and long file names
 * under the val thumbnails kept inside their own thumbnail's width (laid out by real Chromium).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEvalPipeline, defaultTrainPipeline } from '@ferry/core';
import { computeMetrics } from '@ferry/model';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, loadDataset, type Sample } from '../data/dataset.js';
import { makeImageFolder, syntheticJpeg } from '../test-support/synthetic.js';
import type { TrainResult } from '../train/train.js';
import { renderReport, spreadOverClasses } from './report-html.js';

const LABELS = ['ants', 'bees', 'wasps'];
const LONG_NAME = 'IMG_20261201_083015_HDR_portrait_mode_with_a_rather_long_unbroken_file_name';
const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `SKIP report.html layout in Chromium: ${CHROMIUM} not found (apt-get install chromium)`;
  if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
    throw new Error(`FERRY_REQUIRE_REAL_DATA=1 but ${message}`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}

const root = mkdtempSync(join(tmpdir(), 'ferry-report-'));
let dataset: Dataset;
let html: string;

beforeAll(async () => {
  // 6 training photos per class: the first 12 of the class-sorted list are ants and bees only.
  await makeImageFolder(join(root, 'train'), LABELS, 6);
  for (const [label, name] of LABELS.entries()) {
    await mkdir(join(root, 'val', name), { recursive: true });
    for (let i = 0; i < 2; i++)
      await writeFile(join(root, 'val', name, `${LONG_NAME}_${i}.jpg`), await syntheticJpeg(label, 500 + i));
  }
  dataset = await loadDataset({ dir: root });
  const truth = dataset.val.map((s) => s.label);
  const predicted = truth.map((t, i) => (i % 3 === 0 ? (t + 1) % LABELS.length : t));
  const result: TrainResult = {
    runDir: root,
    labels: LABELS,
    valAccuracy: 0.5,
    bestEpoch: 1,
    epochsRun: 1,
    metrics: computeMetrics(LABELS, truth, predicted),
    history: [
      {
        epoch: 1,
        trainLoss: 1,
        trainAccuracy: 0.5,
        valLoss: 1,
        valAccuracy: 0.5,
        lr: 1e-3,
        seconds: 1,
        imagesPerSecond: 10,
      },
    ],
    predictions: dataset.val.map((s, i) => ({
      path: s.path,
      label: s.label,
      predicted: predicted[i]!,
      probabilities: LABELS.map((_, c) => (c === predicted[i] ? 0.8 : 0.1)),
    })),
    durationSeconds: 1,
    skipped: [],
    backend: 'wasm',
    interrupted: false,
  };
  html = await renderReport({
    runDir: root,
    dataset,
    result,
    trainPipeline: defaultTrainPipeline(64, 64),
    evalPipeline: defaultEvalPipeline(64, 64),
    seed: 1,
  });
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('report.html', () => {
  it('spreadOverClasses takes the classes in turn, in order, up to the count', () => {
    const samples: Sample[] = [0, 0, 0, 0, 1, 2, 2].map((label, i) => ({ path: `p${i}`, label }));
    expect(spreadOverClasses(samples, 5).map((s) => s.path)).toEqual(['p0', 'p4', 'p5', 'p1', 'p6']);
    expect(spreadOverClasses(samples, 100)).toHaveLength(7);
    expect(spreadOverClasses([], 3)).toEqual([]);
  });

  it('the augmented-sample grid shows every class', () => {
    const grid = html.split('<h2>Training samples, as the model saw them</h2>')[1]!.split('<h2>')[0]!;
    const captions = [...grid.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toHaveLength(12 * 2);
    expect(new Set(captions)).toEqual(new Set(LABELS));
  });

  it.runIf(haveChromium())('val file names stay inside their thumbnail in Chromium', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      await page.setContent(html);
      const captions = await page.$$eval('figure.wrong figcaption, figure.right figcaption', (all) =>
        all.map((caption) => ({
          text: caption.textContent ?? '',
          overflow: caption.scrollWidth - caption.clientWidth,
          right: caption.getBoundingClientRect().right,
          figureRight: caption.parentElement!.getBoundingClientRect().right,
        })),
      );
      expect(captions).toHaveLength(dataset.val.length);
      for (const caption of captions) {
        expect(caption.text).toContain(LONG_NAME); // shown whole, wrapped, not cut
        expect(caption.overflow, caption.text).toBeLessThanOrEqual(0);
        expect(caption.right).toBeLessThanOrEqual(caption.figureRight + 0.5);
      }
    } finally {
      await browser.close();
    }
  });
});
