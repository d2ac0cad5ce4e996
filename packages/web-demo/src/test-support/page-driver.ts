/** Drives the demo page like a user (file input, mode switch) and reads back what it shows. */

import type { Prediction } from '@ferry/core';
import type { FileChooser, Page } from 'playwright-core';

export interface ShownResult {
  name: string;
  status: 'pending' | 'done' | 'error';
  mode?: string;
  top1?: string;
  probabilities?: number[];
  predictions?: Prediction[];
  /** Open-set models: the card's verdict and score, and its headline text. */
  unknown?: boolean;
  oodScore?: number;
  headline?: string;
  /** The line under the bars: latency, where it was answered, the timing breakdown. */
  meta?: string;
  error?: string;
}

export type Upload = string | { name: string; mimeType: string; buffer: Buffer };

/**
 * Opens the page in in-browser mode unless `params` ("&key=value...") names a mode: the mode is
 * remembered across visits, so always say it.
 */
export async function openDemo(page: Page, url: string, params = ''): Promise<void> {
  const query = /(^|&)mode=/.test(params) ? params.replace(/^&/, '') : `mode=local${params}`;
  await page.goto(`${url}?${query}`);
  await page.waitForSelector('body[data-model]', { timeout: 60_000 });
}

export async function readResults(page: Page): Promise<ShownResult[]> {
  return page.$$eval('.result', (cards) =>
    cards.map((card) => {
      const d = (card as HTMLElement).dataset;
      return {
        name: d.name ?? '',
        status: d.status as 'pending' | 'done' | 'error',
        mode: d.mode,
        top1: d.top1,
        probabilities: d.probabilities ? (JSON.parse(d.probabilities) as number[]) : undefined,
        predictions: d.predictions ? JSON.parse(d.predictions) : undefined,
        unknown: d.unknown === undefined ? undefined : d.unknown === 'true',
        oodScore: d.oodScore === undefined ? undefined : Number(d.oodScore),
        headline: card.querySelector('.result-top')?.textContent ?? undefined,
        meta: card.querySelector('.result-meta')?.textContent ?? undefined,
        error: d.error,
      };
    }),
  );
}

/** Uploads through the file input and waits until every new card has settled. */
export async function upload(page: Page, files: Upload[]): Promise<ShownResult[]> {
  return settled(page, files.length, () => page.setInputFiles('#file-input', files as never));
}

interface PageFile {
  name: string;
  type: string;
  base64: string;
}

const toPageFile = async (file: Upload): Promise<PageFile> => {
  if (typeof file !== 'string')
    return { name: file.name, type: file.mimeType, base64: file.buffer.toString('base64') };
  const { readFile } = await import('node:fs/promises');
  const { basename } = await import('node:path');
  return { name: basename(file), type: 'image/jpeg', base64: (await readFile(file)).toString('base64') };
};

/**
 * Drops files on the drop zone the way a drag from the desktop arrives: dragenter, dragover,
 * drop events carrying a DataTransfer with File items. Also reports whether the zone lit up.
 */
export async function dropFiles(
  page: Page,
  files: Upload[],
): Promise<{ highlighted: boolean; results: ShownResult[] }> {
  const pageFiles = await Promise.all(files.map(toPageFile));
  let highlighted = false;
  const results = await settled(page, files.length, async () => {
    highlighted = await page.evaluate((list) => {
      const transfer = new DataTransfer();
      for (const f of list)
        transfer.items.add(
          new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }),
        );
      const zone = document.getElementById('dropzone')!;
      const fire = (type: string) =>
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      fire('dragenter');
      fire('dragover');
      const lit = zone.classList.contains('dragging');
      fire('drop');
      return lit && !zone.classList.contains('dragging');
    }, pageFiles);
  });
  return { highlighted, results };
}

/** Pastes files as a clipboard paste event would deliver them (screenshots come without a name). */
export async function pasteFiles(page: Page, files: Upload[]): Promise<ShownResult[]> {
  const pageFiles = await Promise.all(files.map(toPageFile));
  return settled(page, files.length, () =>
    page.evaluate((list) => {
      const transfer = new DataTransfer();
      for (const f of list)
        transfer.items.add(
          new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }),
        );
      document.body.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    }, pageFiles),
  );
}

/** Runs `act`, then waits until `count` new cards exist and none is pending; returns them in order. */
export async function settled(
  page: Page,
  count: number,
  act: () => Promise<unknown>,
): Promise<ShownResult[]> {
  const before = await page.locator('.result').count();
  await act();
  await page.waitForFunction(
    (expected) =>
      document.querySelectorAll('.result').length >= expected &&
      document.querySelectorAll('.result[data-status="pending"]').length === 0,
    before + count,
    { timeout: 90_000, polling: 200 },
  );
  // Newest first on the page; return just these cards, in the order they were given.
  return (await readResults(page)).slice(0, count).reverse();
}

export async function useMode(page: Page, mode: 'local' | 'edge', apiBase?: string): Promise<void> {
  await page.check(`input[name="mode"][value="${mode}"]`);
  if (apiBase !== undefined) await page.fill('#api-base', apiBase);
}

/**
 * Starts intercepting the page's file chooser now, before any user action, and hands out the
 * choosers in the order they open.
 *
 * Why not `Promise.all([page.waitForEvent('filechooser'), press()])`: Playwright turns
 * interception on (CDP `Page.setInterceptFileChooserDialog`) as a fire-and-forget message when the
 * first 'filechooser' listener is added, so the key press can reach Chromium first. Chromium then
 * runs its own chooser (cancelled at once in headless) and no event ever comes: the test timed out
 * in about 1 run in 5 on a loaded 2-core machine. Subscribing before the page is even opened puts
 * the interception ahead of the navigation and of every later round trip.
 */
export function interceptFileChoosers(page: Page): { next(): Promise<FileChooser> } {
  const opened: FileChooser[] = [];
  const waiting: ((chooser: FileChooser) => void)[] = [];
  page.on('filechooser', (chooser) => {
    const resolve = waiting.shift();
    if (resolve) resolve(chooser);
    else opened.push(chooser);
  });
  return {
    next: () => {
      const chooser = opened.shift();
      return chooser ? Promise.resolve(chooser) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
