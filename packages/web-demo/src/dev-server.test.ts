/**
 * `npm run dev` in real Chromium: the Vite dev server serves the page against the model that
 * FERRY_MODEL names (re-read on every request, so re-exporting needs no restart), proxies /v1 to
 * FERRY_API so edge mode works same-origin, and registers no service worker (it would hide edits).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startNode } from '@ferry/edge-api/testing';
import { syntheticPhotos } from '@ferry/trainer/testing';
import type { Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from './test-support/build-site.js';
import { haveChromium, type LaunchedBrowser, launchChromium } from './test-support/chromium.js';
import { openDemo, upload } from './test-support/page-driver.js';
import { type Reference, referenceAnswers } from './test-support/reference.js';
import { tinyExportedModel } from './test-support/test-model.js';

const TEST = 'web-demo dev server in Chromium';

describe.runIf(haveChromium(TEST))(TEST, () => {
  let scratch: string;
  let served: string;
  let other: string;
  let photo: string;
  let reference: Reference;
  let edge: RunningServer;
  let vite: ViteDevServer;
  let url: string;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-web-dev-'));
    const first = await tinyExportedModel(scratch);
    other = await tinyExportedModel(scratch, ['cat', 'dog', 'fox'], 5, 'retrained');
    served = join(scratch, 'model.onnx');
    copyFileSync(first, served);
    photo = (await syntheticPhotos(join(scratch, 'photos'), 1))[0]!;
    reference = (await referenceAnswers(first, [photo])).get(photo)!;
    edge = await startNode(first);
    // As `FERRY_MODEL=... FERRY_API=... npm run dev`: the config reads both when it loads.
    const saved = { model: process.env.FERRY_MODEL, api: process.env.FERRY_API };
    process.env.FERRY_MODEL = served;
    process.env.FERRY_API = edge.url;
    try {
      vite = await createServer({
        root: PACKAGE_DIR,
        configFile: join(PACKAGE_DIR, 'vite.config.ts'),
        logLevel: 'warn',
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
      });
      await vite.listen();
    } finally {
      for (const [key, value] of [
        ['FERRY_MODEL', saved.model],
        ['FERRY_API', saved.api],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const { port } = vite.httpServer!.address() as AddressInfo;
    url = `http://127.0.0.1:${port}/`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await vite?.close();
    await edge?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const newPage = async (params = ''): Promise<Page> => {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await openDemo(page, url, params);
    return page;
  };

  it('serves the page against FERRY_MODEL and classifies in the browser; a re-exported model shows on reload', async () => {
    const page = await newPage();
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    expect(JSON.parse((await page.getAttribute('#model-card', 'data-labels'))!)).toEqual(['ants', 'bees']);
    const [result] = await upload(page, [photo]);
    expect(result).toMatchObject({ status: 'done', mode: 'local', top1: reference.top1 });
    // No service worker under the dev server.
    expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length))).toBe(
      0,
    );

    copyFileSync(other, served);
    await page.reload();
    await page.waitForSelector('body[data-model="ready"]', { timeout: 60_000 });
    expect(JSON.parse((await page.getAttribute('#model-card', 'data-labels'))!)).toEqual([
      'cat',
      'dog',
      'fox',
    ]);
    await page.close();
  });

  it('edge mode with an empty API address goes through the dev proxy to FERRY_API', async () => {
    const page = await newPage('&mode=edge&api=');
    expect(await page.isVisible('#api-base')).toBe(true);
    expect(await page.inputValue('#api-base')).toBe('');
    const [result] = await upload(page, [photo]);
    expect(result).toMatchObject({ status: 'done', mode: 'edge', top1: reference.top1 });
    await page.close();
  });
});
