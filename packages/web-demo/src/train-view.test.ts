/**
 * The train view in real Chromium: a folder-per-class tree through the folder input, Train, the
 * download, and the downloaded file through `ferry predict`, the Node server and workerd; the
 * same photos through `ferry train` (same backbone, same seed) must give the same val accuracy
 * and the same top-1 on every val photo. Then a reload keeps the project, and bad input gets
 * plain messages. Photos and a tiny backbone are made here; with FERRY_DATA_DIR and
 * FERRY_MODELS_DIR the parity check also runs on ants/bees with MobileNetV2.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { readModelSpecFromOnnx } from '@ferry/core';
import { pngHeaderOnly, type RunningServer, startNode, startWorkerd } from '@ferry/edge-api/testing';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { train as ferryTrain } from '@ferry/trainer';
import { ferryPredict, makeImageFolder, makeTinyBackbone, syntheticJpeg } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite } from './test-support/build-site.js';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { type StaticServer, serveStatic } from './test-support/static-server.js';
import { tinyExportedModel } from './test-support/test-model.js';
import {
  chooseFolder,
  classCards,
  downloadModel,
  listed,
  openTrainView,
  type PageValAnswer,
  train,
  valAnswers,
  waitForBackbone,
  waitForFeatures,
} from './test-support/train-driver.js';

const TEST = 'train view in Chromium';
const LABELS = ['ants', 'bees'];
const PER_CLASS = 14;
const MOBILENET = 'mobilenet_v2_0.35_224';

/** A JPEG cut short: the decoder must refuse it, as `ferry train` skips it. */
function truncated(path: string): Buffer {
  const bytes = readFileSync(path);
  return bytes.subarray(0, Math.floor(bytes.length / 3));
}

/** URL path -> file for a Keras model.json served at `base` and the weight files it lists. */
function backboneOverrides(base: string, modelJson: string): [string, string][] {
  const manifest = JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  return [
    [`${base}/model.json`, modelJson],
    ...manifest.weightsManifest.flatMap((g) =>
      g.paths.map((p): [string, string] => [`${base}/${p}`, join(dirname(modelJson), p)]),
    ),
  ];
}

/** POSTs each photo to /v1/classify: path -> top-1 label. */
async function edgeTop1(server: RunningServer, files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of files) {
    const response = await fetch(`${server.url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(file),
    });
    expect(response.status, `${basename(file)} on ${server.url}`).toBe(200);
    const body = (await response.json()) as { predictions: { label: string }[] };
    out.set(file, body.predictions[0]!.label);
  }
  return out;
}

describe.runIf(haveChromium(TEST))(TEST, () => {
  let scratch: string;
  let site: StaticServer;
  let browser: LaunchedBrowser;
  let dataDir: string;
  let backboneDir: string;
  const backboneQuery = '?backbone=/tiny-backbone/model.json&featureLayer=out_relu';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-train-view-'));
    process.env.FERRY_CACHE_DIR = join(scratch, 'cache');
    dataDir = join(scratch, 'photos');
    await makeImageFolder(dataDir, LABELS, PER_CLASS);
    writeFileSync(join(dataDir, 'ants', 'notes.txt'), 'not a photo\n');
    writeFileSync(join(dataDir, 'bees', 'broken.jpg'), truncated(join(dataDir, 'bees', 'img_000.jpg')));
    backboneDir = join(scratch, 'backbone');
    await makeTinyBackbone(backboneDir);
    // The same layers with other weights: a changed ingredient of the feature cache key.
    const otherBackboneDir = join(scratch, 'backbone-2');
    await makeTinyBackbone(otherBackboneDir, 8);
    const siteDir = join(scratch, 'site');
    await buildSite(await tinyExportedModel(scratch, undefined, 1, 'tiny-train-view'), siteDir);
    const { modelsDir } = realData();
    const overrides = new Map<string, string>([
      ...backboneOverrides('/tiny-backbone', join(backboneDir, 'model.json')),
      ...backboneOverrides('/tiny-backbone-2', join(otherBackboneDir, 'model.json')),
      // Where the page looks first for `ferry train`'s default backbone (as `npm run demo` serves it).
      ...(modelsDir
        ? backboneOverrides(`/backbones/${MOBILENET}`, join(modelsDir, MOBILENET, 'model.json'))
        : []),
    ]);
    [site, browser] = await Promise.all([serveStatic(siteDir, overrides), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const newPage = async (): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    page.on('dialog', (dialog) => void dialog.accept());
    return page;
  };

  it('folder in, Train, download: the file answers like the page in ferry predict, Node and workerd, and like ferry train', async () => {
    const page = await newPage();
    await openTrainView(page, site.url, backboneQuery);
    expect(await waitForBackbone(page)).toBe('ready');
    // 28 photos with a photo extension (the .txt is skipped); broken.jpg fails to decode.
    await chooseFolder(page, dataDir, 2 * PER_CLASS + 1);
    expect((await listed(page, '#messages li')).join('\n')).toMatch(/notes\.txt: skipped, not a photo/);
    const cards = await classCards(page);
    expect(cards.map((c) => c.name)).toEqual(LABELS);
    expect(cards.map((c) => c.count)).toEqual([PER_CLASS, PER_CLASS + 1]);
    // The CLI's split: 20 % of each class held out.
    expect(cards.map((c) => c.heldOut)).toEqual([3, 3]);
    expect(cards[1]!.errors.join('\n')).toMatch(/broken\.jpg: .*could not be decoded/);
    // Each decoded photo's thumbnail shows on its card (the worker stores it a batch behind).
    await expect
      .poll(
        () =>
          page.evaluate(() =>
            [...document.querySelectorAll('.class-card')].map(
              (card) => card.querySelectorAll('.thumbs img[src^="data:image/"]:not([hidden])').length,
            ),
          ),
        { timeout: 30_000 },
      )
      .toEqual([PER_CLASS, PER_CLASS]);

    await train(page);
    const answers = await valAnswers(page);
    const modelPath = await downloadModel(page, scratch);
    const spec = readModelSpecFromOnnx(readFileSync(modelPath));
    expect(spec.labels).toEqual(LABELS);
    expect(spec.openSet?.method).toBe('knn-cosine+max-softmax');
    expect(spec.training?.mode).toBe('features');

    // The same photos through `ferry train` with the same backbone and seed.
    const cli = await ferryTrain({
      data: dataDir,
      out: join(scratch, 'run'),
      backbone: backboneDir,
      featureLayer: 'out_relu',
      report: false,
    });
    const root = dirname(dataDir);
    const cliAnswers = new Map(
      cli.predictions.map((p) => [
        relative(root, p.path),
        { truth: LABELS[p.label]!, answer: LABELS[p.predicted]! },
      ]),
    );
    const byPath = (a: PageValAnswer) => a.path;
    expect(answers.map(byPath).sort()).toEqual([...cliAnswers.keys()].sort());
    for (const a of answers) expect(a.answer, a.path).toBe(cliAnswers.get(a.path)!.answer);
    expect(spec.training?.valAccuracy).toBe(cli.valAccuracy);

    // The downloaded file, unchanged, in every runtime: the page's top-1 on every val photo.
    const files = answers.map((a) => join(root, a.path));
    const pageTop1 = new Map(answers.map((a) => [join(root, a.path), a.answer]));
    const predicted = await ferryPredict(modelPath, files);
    for (const f of files)
      expect(predicted.get(f)?.top1, `ferry predict ${basename(f)}`).toBe(pageTop1.get(f));
    const node = await startNode(modelPath);
    try {
      const top1 = await edgeTop1(node, files);
      for (const f of files) expect(top1.get(f), `Node ${basename(f)}`).toBe(pageTop1.get(f));
    } finally {
      await node.stop();
    }
    const workerd = await startWorkerd(modelPath);
    try {
      const top1 = await edgeTop1(workerd, files);
      for (const f of files) expect(top1.get(f), `workerd ${basename(f)}`).toBe(pageTop1.get(f));
    } finally {
      await workerd.stop();
    }

    // A reload keeps the project: classes, counts, the unreadable photo, the trained model.
    mkdirSync(join(scratch, 'again'));
    await page.reload();
    await page.waitForSelector('body[data-project="loaded"]');
    expect((await classCards(page)).map((c) => [c.name, c.count])).toEqual([
      ['ants', PER_CLASS],
      ['bees', PER_CLASS + 1],
    ]);
    expect(await page.getAttribute('body', 'data-train')).toBe('done');
    expect(readFileSync(await downloadModel(page, join(scratch, 'again')))).toEqual(readFileSync(modelPath));
    // "Try it": the classify view runs the model just trained.
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.waitForSelector('body[data-model="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#model-card')).toContain(spec.name);
    await page.close();
  });

  it.runIf(
    haveRealData('hymenopteraDir', `${TEST}: ants/bees with MobileNetV2`) && haveRealData('modelsDir', TEST),
  )(
    'ants/bees with MobileNetV2, the backbone from the site: the same val accuracy and top-1 as ferry train',
    async () => {
      const page = await newPage();
      await openTrainView(page, site.url);
      await page.getByRole('button', { name: 'Start over' }).click();
      expect(await waitForBackbone(page)).toBe('ready');
      expect(await page.textContent('#backbone-status')).toContain(MOBILENET);
      const data = realData().hymenopteraDir!;
      await chooseFolder(page, data, 398);
      await train(page);
      const answers = await valAnswers(page);
      mkdirSync(join(scratch, 'ants-bees'));
      const modelPath = await downloadModel(page, join(scratch, 'ants-bees'));
      const spec = readModelSpecFromOnnx(readFileSync(modelPath));
      const cli = await ferryTrain({ data, out: join(scratch, 'run-ants-bees'), report: false });
      const root = dirname(data);
      const cliTop1 = new Map(cli.predictions.map((p) => [relative(root, p.path), cli.labels[p.predicted]!]));
      expect(answers.length).toBe(153);
      const differ = answers.filter((a) => a.answer !== cliTop1.get(a.path));
      console.log(
        `${TEST}: ants/bees val accuracy page ${spec.training?.valAccuracy} vs ferry train ${cli.valAccuracy}; top-1 differs on ${differ.length} of ${answers.length}`,
      );
      expect(differ.map((a) => a.path)).toEqual([]);
      expect(spec.training?.valAccuracy).toBe(cli.valAccuracy);
      const files = answers.map((a) => join(root, a.path));
      const predicted = await ferryPredict(modelPath, files);
      for (const a of answers) expect(predicted.get(join(root, a.path))?.top1, a.path).toBe(a.answer);
      await page.close();
    },
  );

  it('bad input gets plain messages and the rest of the photos are kept', async () => {
    const page = await newPage();
    await openTrainView(page, site.url, backboneQuery);
    await page.getByRole('button', { name: 'Start over' }).click();
    expect(await waitForBackbone(page)).toBe('ready');
    const trainButton = page.getByRole('button', { name: 'Train', exact: true });
    const problems = () => listed(page, '#problems li');
    const notice = () => page.textContent('#notice');

    // One class only: the CLI's message, and nothing to train.
    const one = join(scratch, 'one-class');
    await makeImageFolder(one, ['ants'], 3);
    await chooseFolder(page, one, 3);
    expect((await problems()).join('\n')).toContain(
      'Only one class (ants) in one-class: a classifier needs at least two class folders.',
    );
    expect(await trainButton.isDisabled()).toBe(true);

    // A class by hand: empty, then a duplicate name, then one photo.
    await page.fill('#class-name', 'cats');
    await page.getByRole('button', { name: 'Add class' }).click();
    await page.waitForSelector('.class-card[data-class="cats"]');
    expect((await problems()).join('\n')).toContain('“cats” has 0 photos: a class needs at least 2');
    await page.fill('#class-name', 'Ants');
    await page.getByRole('button', { name: 'Add class' }).click();
    await page.waitForFunction(() => !document.getElementById('notice')!.hidden);
    expect(await notice()).toBe('A class named “ants” already exists.');
    const catInput = '.class-card[data-class="cats"] input[type=file]';
    const photo = (name: string) => join(one, 'ants', name);
    await page.setInputFiles(catInput, [photo('img_000.jpg')]);
    await page.waitForFunction(
      () => document.querySelector('.class-card[data-class="cats"]')?.getAttribute('data-count') === '1',
    );
    await page.waitForSelector('body[data-features="idle"]');
    expect((await problems()).join('\n')).toContain('“cats” has 1 photo: a class needs at least 2');

    // A text file named .jpg, a 20000 x 20000 "bomb" and an empty file: each says why, the class keeps its good photos.
    await page.setInputFiles(catInput, [
      { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all\n') },
      { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.from(pngHeaderOnly(20_000, 20_000)) },
      { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) },
      { name: 'img_001.jpg', mimeType: 'image/jpeg', buffer: readFileSync(photo('img_001.jpg')) },
    ]);
    await page.waitForFunction(
      () => document.querySelectorAll('.class-card[data-class="cats"] .photo-errors li').length === 3,
    );
    const cats = (await classCards(page)).find((c) => c.name === 'cats')!;
    expect(cats.count).toBe(5);
    expect(cats.errors).toEqual([
      'notes.jpg: “notes.jpg” is not an image. Use a JPEG, PNG, GIF or WebP photo.',
      expect.stringMatching(
        /^huge\.png: “huge\.png” is too large \(20000 × 20000 pixels\)\. The limit is \d+ megapixels\.$/,
      ),
      'empty.jpg: “empty.jpg” is empty.',
    ]);
    // Two good photos in each class now: the project trains, the bad photos skipped as ferry train skips them.
    await page.waitForSelector('body[data-features="idle"]');
    expect(await problems()).toEqual([]);
    await train(page);
    expect(await page.textContent('#summary')).toMatch(/^Val accuracy \d+(\.\d)?% on [12] held-out photos/);
    await page.close();
  });

  it('features are cached by content: a copy of the folder is not computed again, another backbone is', async () => {
    const page = await newPage();
    await openTrainView(page, site.url, backboneQuery);
    await page.getByRole('button', { name: 'Start over' }).click();
    expect(await waitForBackbone(page)).toBe('ready');
    await chooseFolder(page, dataDir, 2 * PER_CLASS + 1);
    // The same folder again: nothing new to add.
    await page.setInputFiles('#folder-input', dataDir);
    await page.waitForFunction(() => !document.getElementById('notice')!.hidden);
    expect(await page.textContent('#notice')).toBe(
      `All ${2 * PER_CLASS + 1} photos of “photos” are already in the project.`,
    );
    // A copy under another name, in a fresh project: every photo's features come from the cache.
    const copy = join(scratch, 'copy-of-photos');
    cpSync(dataDir, copy, { recursive: true });
    await page.getByRole('button', { name: 'Start over' }).click();
    await chooseFolder(page, copy, 2 * PER_CLASS + 1);
    expect(await page.textContent('#features-text')).toBe(
      `${2 * PER_CLASS + 1} photos ready (${2 * PER_CLASS} already computed in this browser).`,
    );
    // Another backbone (same layers, other weights): nothing comes from the cache.
    await openTrainView(page, site.url, '?backbone=/tiny-backbone-2/model.json&featureLayer=out_relu');
    expect(await waitForBackbone(page)).toBe('ready');
    // The project's features were made by the other backbone: it says so and will not train on them.
    await page.waitForFunction(() =>
      /another backbone/.test(document.getElementById('problems')!.textContent ?? ''),
    );
    expect((await listed(page, '#problems li')).join('\n')).toMatch(
      /^28 photos were prepared with another backbone or an older version of this page \((img_\d{3}\.jpg, ){3}…\): remove their classes and add them again, or start over\.$/,
    );
    expect(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Start over' }).click();
    await chooseFolder(page, copy, 2 * PER_CLASS + 1);
    expect(await page.textContent('#features-text')).toBe(
      `${2 * PER_CLASS + 1} photos ready (0 already computed in this browser).`,
    );
    await page.close();
  });

  it('5,000 photos: Cancel keeps what is done, the folder again adds the rest; all kept as features, the tab stays small, the project trains', async () => {
    const many = join(scratch, 'many');
    for (const [label, name] of LABELS.entries()) {
      mkdirSync(join(many, name), { recursive: true });
      for (let i = 0; i < 2500; i++)
        writeFileSync(
          join(many, name, `p${String(i).padStart(4, '0')}.jpg`),
          await syntheticJpeg(label, 5000 + label * 2500 + i, 40, 30),
        );
    }
    const page = await newPage();
    await openTrainView(page, site.url, backboneQuery);
    await page.getByRole('button', { name: 'Start over' }).click();
    expect(await waitForBackbone(page)).toBe('ready');
    // Cancelled part-way: the photos done so far stay in the project, the rest are not added.
    await page.setInputFiles('#folder-input', many);
    await page.waitForFunction(
      () =>
        Number(
          /^(\d+) \/ 5000 photos/.exec(document.getElementById('features-text')?.textContent ?? '')?.[1],
        ) >= 200,
      undefined,
      { timeout: 120_000, polling: 100 },
    );
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() =>
      /^Cancelled: /.test(document.getElementById('notice')?.textContent ?? ''),
    );
    const left = Number(
      /^Cancelled: (\d+) photos were not added\.$/.exec((await page.textContent('#notice')) ?? '')?.[1],
    );
    const kept = 5000 - left;
    expect(left).toBeGreaterThan(0);
    expect(kept).toBeGreaterThanOrEqual(200);
    await expect.poll(async () => (await classCards(page)).reduce((sum, c) => sum + c.count, 0)).toBe(kept);
    await waitForFeatures(page, kept, 1);
    // The same folder again adds only what the cancel left out.
    await chooseFolder(page, many, left);
    const cards = await classCards(page);
    expect(cards.map((c) => [c.count, c.heldOut])).toEqual([
      [2500, 500],
      [2500, 500],
    ]);
    // The page keeps thumbnails and records, never frames: its heap stays far below a photo set's pixels.
    const heap = await page.evaluate(
      () => (performance as Performance & { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize,
    );
    console.log(`${TEST}: 5,000 photos, page heap ${(heap / 2 ** 20).toFixed(0)} MiB`);
    expect(heap).toBeLessThan(300 * 2 ** 20);
    await train(page);
    expect(await page.textContent('#summary')).toMatch(/on 1000 held-out photos/);
    await page.close();
  });

  it('a class from the camera: each "Take photo" adds a photo to that class', async () => {
    const camera = await launchChromium({ fakeCamera: true });
    try {
      const page = await camera.context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await openTrainView(page, site.url, backboneQuery);
      expect(await waitForBackbone(page)).toBe('ready');
      await page.fill('#class-name', 'desk');
      await page.getByRole('button', { name: 'Add class' }).click();
      await page.locator('.class-card[data-class="desk"]').getByRole('button', { name: 'Camera' }).click();
      await page.waitForSelector('#camera-panel:not([hidden])');
      await page.waitForFunction(
        () => (document.getElementById('camera-video') as HTMLVideoElement).videoWidth > 0,
      );
      for (let i = 0; i < 2; i++) await page.getByRole('button', { name: 'Take photo' }).click();
      await page.waitForFunction(() => {
        const card = document.querySelector('.class-card[data-class="desk"]');
        return card?.getAttribute('data-count') === '2' && card.querySelectorAll('.thumbs img').length === 2;
      });
      expect((await classCards(page)).find((c) => c.name === 'desk')?.errors).toEqual([]);
    } finally {
      await camera.close();
    }
  });
});
