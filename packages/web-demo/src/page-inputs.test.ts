/**
 * The other ways a photo gets in, in real Chromium: drag and drop (the zone lights up while a
 * file hovers), clipboard paste (screenshots arrive without a name), the keyboard alone, and the
 * camera (Chromium's fake capture device). Every route must end in the same prediction card as
 * an upload, with the answers of onnxruntime-node on the same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readModelSpecFromOnnx } from '@ferry/core';
import { syntheticPhotos } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { buildDemoSite, type DemoSite } from './test-support/demo-site.js';
import {
  dropFiles,
  interceptFileChoosers,
  openDemo,
  pasteFiles,
  type ShownResult,
  settled,
} from './test-support/page-driver.js';
import { type Reference, referenceAnswers } from './test-support/reference.js';
import { type StaticServer, serveStatic } from './test-support/static-server.js';

const TEST = 'web-demo photo inputs in Chromium';
const TOLERANCE = 1e-3;

describe.runIf(haveChromium(TEST))(TEST, () => {
  let demo: DemoSite;
  let site: StaticServer;
  let browser: LaunchedBrowser;
  let photos: string[];
  let png: string;
  let labels: string[];
  let reference: Map<string, Reference>;

  beforeAll(async () => {
    demo = await buildDemoSite('ferry-web-inputs-');
    labels = readModelSpecFromOnnx(readFileSync(demo.modelPath)).labels;
    photos = await syntheticPhotos(join(demo.scratch, 'photos'), 3);
    // A PNG too: pasted screenshots are PNGs.
    png = join(demo.scratch, 'photos', 'screenshot.png');
    writeFileSync(png, await sharp(photos[2]!).png().toBuffer());
    [site, browser] = await Promise.all([serveStatic(demo.siteDir), launchChromium({ fakeCamera: true })]);
    reference = await referenceAnswers(demo.modelPath, [...photos, png]);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    demo?.remove();
  });

  /** A fresh page with the demo loaded; `beforeOpen` runs first, while the page is still blank. */
  const newPage = async (beforeOpen?: (page: Page) => void): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    beforeOpen?.(page);
    await openDemo(page, site.url);
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    return page;
  };

  /** Same answer as onnxruntime-node + sharp on the same file. */
  const expectReference = (result: ShownResult, file: string): void => {
    const ref = reference.get(file)!;
    expect(result, basename(file)).toMatchObject({ status: 'done', mode: 'local', top1: ref.top1 });
    result.probabilities!.forEach((p, i) => {
      expect(Math.abs(p - ref.probabilities[i]!), `${basename(file)} ${labels[i]}`).toBeLessThanOrEqual(
        TOLERANCE,
      );
    });
  };

  it('drag and drop: the zone lights up while files hover, then each dropped photo gets a card', async () => {
    const page = await newPage();
    // Hovering and leaving again must switch the highlight off (nested dragenter/dragleave).
    const hover = await page.evaluate(() => {
      const zone = document.getElementById('dropzone')!;
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x'], 'x.jpg', { type: 'image/jpeg' }));
      const fire = (type: string, target: Element) =>
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      const inner = zone.querySelector('.drop-title')!;
      fire('dragenter', zone);
      fire('dragenter', inner);
      fire('dragleave', zone);
      const stillLit = zone.classList.contains('dragging');
      fire('dragleave', inner);
      return { stillLit, afterLeave: zone.classList.contains('dragging') };
    });
    expect(hover).toEqual({ stillLit: true, afterLeave: false });

    const files = photos.slice(0, 2);
    const { highlighted, results } = await dropFiles(page, files);
    expect(highlighted).toBe(true);
    expect(results.map((r) => r.name)).toEqual(files.map((f) => basename(f)));
    results.forEach((r, i) => expectReference(r, files[i]!));
    await page.close();
  });

  it('paste: a nameless clipboard image becomes “pasted-1.png” and is classified', async () => {
    const page = await newPage();
    const [result] = await pasteFiles(page, [{ name: '', mimeType: 'image/png', buffer: readFileSync(png) }]);
    expect(result!.name).toBe('pasted-1.png');
    expectReference(result!, png);
    // Pasting text into the API address field is left alone: no card appears.
    const before = await page.locator('.result').count();
    await page.check('input[name="mode"][value="edge"]');
    await page.focus('#api-base');
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.setData('text/plain', 'http://127.0.0.1:8787');
      document
        .getElementById('api-base')!
        .dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
    });
    expect(await page.locator('.result').count()).toBe(before);
    await page.close();
  });

  it('keyboard only: Tab reaches “Choose photos”, Enter opens the file chooser, results show top-k bars and timing', async () => {
    // File chooser interception goes on before the page opens, not raced against the key press.
    let fileChoosers!: ReturnType<typeof interceptFileChoosers>;
    const page = await newPage((blank) => {
      fileChoosers = interceptFileChoosers(blank);
    });
    let focused = '';
    for (let i = 0; i < 12 && focused !== 'choose-button'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(focused).toBe('choose-button');
    await page.keyboard.press('Enter');
    const chooser = await fileChoosers.next();
    expect(chooser.isMultiple()).toBe(true);
    const [result] = await settled(page, 1, () => chooser.setFiles(photos[0]!));
    expectReference(result!, photos[0]!);

    // Top-k bars: one meter per label (k = min(5, labels)), best first, widths = probabilities.
    const bars = await page.$$eval('.result:first-child .bar-track', (tracks) =>
      tracks.map((t) => ({
        label: t.getAttribute('aria-label'),
        now: Number(t.getAttribute('aria-valuenow')),
        width: Number.parseFloat((t.firstElementChild as HTMLElement).style.width),
      })),
    );
    expect(bars).toHaveLength(Math.min(5, labels.length));
    expect(bars[0]!.label).toBe(result!.top1);
    for (const [i, bar] of bars.entries()) {
      const p = result!.probabilities![labels.indexOf(bar.label!)]! * 100;
      expect(bar.now).toBeCloseTo(p, 1);
      expect(bar.width).toBeCloseTo(p, 2);
      if (i > 0) expect(bar.now).toBeLessThanOrEqual(bars[i - 1]!.now);
    }
    // Latency, with where the time went and which execution provider ran.
    const meta = await page.textContent('.result:first-child .result-meta');
    expect(meta).toMatch(
      /^\d+(\.\d)? ms in this browserdecode \d+(\.\d)? ms · preprocess \d+(\.\d)? ms · inference \d+(\.\d)? ms \(wasm\)$/,
    );

    // The mode switch is a radio group: arrow keys move between the two modes.
    await page.focus('input[name="mode"][value="local"]');
    await page.keyboard.press('ArrowDown');
    expect(await page.isVisible('#api-base')).toBe(true);
    expect(await page.textContent('#runtime-status')).toBe('Edge API');
    await page.close();
  });

  it('camera: Chromium’s fake device streams, “Take photo” gives a prediction card, closing stops the stream', async () => {
    const page = await newPage();
    await page.click('#camera-button');
    await page.waitForSelector('#camera-panel:not([hidden])');
    await page.waitForFunction(
      () => (document.getElementById('camera-video') as HTMLVideoElement).videoWidth > 0,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('capture-button');
    const [result] = await settled(page, 1, () => page.click('#capture-button'));
    expect(result!.name).toMatch(/^camera-\d{6}\.jpg$/);
    expect(result).toMatchObject({ status: 'done', mode: 'local' });
    expect(labels).toContain(result!.top1);
    const sum = result!.probabilities!.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 4);
    // The captured frame is a real JPEG of the camera picture (shown as the card's preview).
    await page.waitForSelector('.result:first-child img');
    const preview = await page.$eval('.result:first-child img', (img) => ({
      width: (img as HTMLImageElement).naturalWidth,
      height: (img as HTMLImageElement).naturalHeight,
    }));
    const video = await page.$eval('#camera-video', (v) => ({
      width: (v as HTMLVideoElement).videoWidth,
      height: (v as HTMLVideoElement).videoHeight,
    }));
    expect(preview).toEqual(video);

    await page.click('#camera-close');
    expect(await page.isHidden('#camera-panel')).toBe(true);
    expect(
      await page.evaluate(() => (document.getElementById('camera-video') as HTMLVideoElement).srcObject),
    ).toBe(null);
    await page.close();
  });
});
