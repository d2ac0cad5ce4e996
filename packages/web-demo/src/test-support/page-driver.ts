/** Drives the demo page like a user (file input, mode switch) and reads back what it shows. */
import type { Page } from 'playwright-core';

export interface ShownResult {
  name: string;
  status: 'pending' | 'done' | 'error';
  mode?: string;
  top1?: string;
  probabilities?: number[];
  predictions?: { label: string; probability: number }[];
  error?: string;
}

export type Upload = string | { name: string; mimeType: string; buffer: Buffer };

/** Opens the page in in-browser mode (the mode is remembered across visits, so say it). */
export async function openDemo(page: Page, url: string, params = ''): Promise<void> {
  await page.goto(`${url}?mode=local${params}`);
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
        error: d.error,
      };
    }),
  );
}

/** Uploads through the file input and waits until every new card has settled. */
export async function upload(page: Page, files: Upload[]): Promise<ShownResult[]> {
  const before = await page.locator('.result').count();
  await page.setInputFiles('#file-input', files as never);
  await page.waitForFunction(
    (expected) =>
      document.querySelectorAll('.result').length >= expected &&
      document.querySelectorAll('.result[data-status="pending"]').length === 0,
    before + files.length,
    { timeout: 90_000, polling: 200 },
  );
  // Newest first on the page; return just this upload's cards, in upload order.
  return (await readResults(page)).slice(0, files.length).reverse();
}

export async function useMode(page: Page, mode: 'local' | 'edge', apiBase?: string): Promise<void> {
  await page.check(`input[name="mode"][value="${mode}"]`);
  if (apiBase !== undefined) await page.fill('#api-base', apiBase);
}
