/**
 * The service worker in real Chromium: after one visit the page, model and wasm come from its
 * cache, so in-browser mode works offline; a host that swaps model.onnx (`ferry demo` after
 * retraining) is seen on the next reload (models are network-first), and offline keeps the last
 * model that was downloaded, including one named by ?model= that the build never bundled.
 * Also the loading states, which need a fresh origin (no worker yet) to hold the model back.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticPhotos } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { buildDemoSite, type DemoSite } from './test-support/demo-site.js';
import { openDemo, upload } from './test-support/page-driver.js';
import { type Reference, referenceAnswers } from './test-support/reference.js';
import { type StaticServer, serveStatic } from './test-support/static-server.js';
import { tinyExportedModel } from './test-support/test-model.js';

const TEST = 'web-demo service worker in Chromium';
const SWAPPED_LABELS = ['cat', 'dog', 'fox'];

describe.runIf(haveChromium(TEST))(TEST, () => {
  let demo: DemoSite;
  let browser: LaunchedBrowser;
  let swappedModel: string;
  let photo: string;
  let reference: Map<string, Reference>;
  const servers: StaticServer[] = [];

  beforeAll(async () => {
    demo = await buildDemoSite('ferry-web-sw-');
    swappedModel = await tinyExportedModel(demo.scratch, SWAPPED_LABELS, 7, 'swapped');
    photo = (await syntheticPhotos(join(demo.scratch, 'photos'), 1))[0]!;
    browser = await launchChromium();
    reference = new Map([
      ...(await referenceAnswers(demo.modelPath, [photo])).entries(),
      ...[...(await referenceAnswers(swappedModel, [photo])).entries()].map(
        ([k, v]) => [`swapped:${k}`, v] as const,
      ),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    demo?.remove();
  });

  /** Each test gets its own origin (port), hence its own service worker and cache. */
  const serve = async (overrides?: Map<string, string>): Promise<StaticServer> => {
    const server = await serveStatic(demo.siteDir, overrides);
    servers.push(server);
    return server;
  };

  /** One origin for the tests that need no swapped files (each new origin precaches ~30 MB). */
  let shared: StaticServer | undefined;
  const sharedSite = async (): Promise<StaticServer> => {
    shared ??= await serve(new Map([['/extra/other.onnx', swappedModel]]));
    return shared;
  };

  const firstVisit = async (url: string, params = ''): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await openDemo(page, url, params);
    await page.waitForSelector('body[data-offline="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#offline-status')).toBe('Ready to work offline.');
    return page;
  };

  const cardLabels = async (page: Page): Promise<string[]> =>
    JSON.parse((await page.getAttribute('#model-card', 'data-labels')) ?? '[]');

  const offline = async (run: () => Promise<void>): Promise<void> => {
    await browser.context.setOffline(true);
    try {
      await run();
    } finally {
      await browser.context.setOffline(false);
    }
  };

  const reload = async (page: Page): Promise<void> => {
    await page.reload();
    await page.waitForSelector('body[data-model]', { timeout: 60_000 });
  };

  it('shows loading states: “Loading model…” until the model arrives, photos wait as “Classifying…”', async () => {
    const site = await serve();
    const page = await browser.context.newPage();
    // Hold the model download (first visit: no service worker in the way yet).
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/model.onnx', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${site.url}?mode=local`);
    await page.waitForSelector('#runtime-status[data-state="loading"]');
    expect(await page.textContent('#runtime-status')).toBe('Loading model…');
    await page.setInputFiles('#file-input', photo);
    await page.waitForSelector('.result[data-status="pending"][aria-busy="true"]');
    expect(await page.textContent('.result .result-top')).toBe('Classifying…');
    release();
    await page.waitForSelector('.result[data-status="done"]', { timeout: 60_000 });
    expect(await page.textContent('#runtime-status')).toBe('In browser · wasm');
    expect(await page.getAttribute('.result', 'data-top1')).toBe(reference.get(photo)!.top1);
    await page.close();
  });

  it('keeps working offline after the first visit', async () => {
    const site = await sharedSite();
    const page = await firstVisit(site.url);
    await offline(async () => {
      // Not served by the server any more: a fresh navigation would fail without the worker.
      await reload(page);
      expect(await page.getAttribute('body', 'data-model')).toBe('ready');
      expect(await cardLabels(page)).toEqual(['ants', 'bees']);
      const [result] = await upload(page, [photo]);
      expect(result).toMatchObject({ status: 'done', mode: 'local', top1: reference.get(photo)!.top1 });
    });
    await page.close();
  });

  it('picks up a swapped model.onnx on reload, and keeps that one offline', async () => {
    const served = join(demo.scratch, 'served-model.onnx');
    copyFileSync(demo.modelPath, served);
    const site = await serve(new Map([['/model.onnx', served]]));
    const page = await firstVisit(site.url);
    expect(await cardLabels(page)).toEqual(['ants', 'bees']);

    // The host replaces the file in place, as `ferry demo` does after retraining.
    copyFileSync(swappedModel, served);
    await reload(page);
    expect(await cardLabels(page)).toEqual(SWAPPED_LABELS);
    expect(await page.textContent('#model-card')).toContain('swapped');
    const [online] = await upload(page, [photo]);
    expect(online).toMatchObject({ status: 'done', top1: reference.get(`swapped:${photo}`)!.top1 });

    await offline(async () => {
      await reload(page);
      expect(await page.getAttribute('body', 'data-model')).toBe('ready');
      expect(await cardLabels(page)).toEqual(SWAPPED_LABELS);
      const [result] = await upload(page, [photo]);
      expect(result!.probabilities).toHaveLength(SWAPPED_LABELS.length);
      expect(result!.top1).toBe(reference.get(`swapped:${photo}`)!.top1);
    });
    await page.close();
  });

  it('a ?model= file outside the build works offline once it was loaded online', async () => {
    const site = await sharedSite();
    const page = await firstVisit(site.url, '&model=extra/other.onnx');
    // The worker may take control after the model was fetched: load it once under its control.
    await reload(page);
    expect(await cardLabels(page)).toEqual(SWAPPED_LABELS);
    await offline(async () => {
      await reload(page);
      expect(await page.getAttribute('body', 'data-model')).toBe('ready');
      expect(await cardLabels(page)).toEqual(SWAPPED_LABELS);
    });
    // And a model that was never downloaded says so plainly when offline.
    await offline(async () => {
      await page.goto(`${site.url}?mode=local&model=extra/never.onnx`);
      await page.waitForSelector('body[data-model]', { timeout: 60_000 });
      expect(await page.getAttribute('body', 'data-model')).toBe('error');
      expect(await page.textContent('#model-card')).toContain('could not download the model from');
    });
    await page.close();
  });
});
