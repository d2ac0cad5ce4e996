/**
 * Drives the train view like a user: the folder input, the Train button, the confusion matrix's
 * cells and the download link; reads back only what the page shows.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export interface PageValAnswer {
  path: string;
  truth: string;
  answer: string;
}

export async function openTrainView(page: Page, siteUrl: string, query = ''): Promise<void> {
  await page.goto(`${siteUrl}train/${query}`);
  await page.waitForSelector('body[data-project="loaded"]', { timeout: 60_000 });
}

/** 'ready', or 'error: ' and the page's message. */
export async function waitForBackbone(page: Page): Promise<string> {
  await page.waitForSelector('body[data-backbone="ready"], body[data-backbone="error"]', {
    timeout: 120_000,
  });
  const state = (await page.getAttribute('body', 'data-backbone')) ?? '';
  return state === 'ready' ? state : `${state}: ${await page.textContent('#notice')}`;
}

/**
 * Chooses a folder through the real `<input type=file webkitdirectory>` and waits until the
 * page says the feature run it started has its `photos` photos ready.
 */
export async function chooseFolder(
  page: Page,
  dir: string,
  photos: number,
  timeout = 600_000,
): Promise<void> {
  const runs = Number((await page.getAttribute('body', 'data-feature-runs')) ?? 0);
  await page.setInputFiles('#folder-input', dir);
  await waitForFeatures(page, photos, runs + 1, timeout);
}

/** Waits for feature run number `run` of this page to say `photos` photos are ready. */
export async function waitForFeatures(
  page: Page,
  photos: number,
  run: number,
  timeout = 600_000,
): Promise<void> {
  await page.waitForFunction(
    ([n, r]) =>
      Number(document.body.dataset.featureRuns ?? 0) >= r! &&
      document.body.dataset.features === 'idle' &&
      (document.getElementById('features-text')?.textContent ?? '').startsWith(`${n} photos ready`),
    [photos, run],
    { timeout, polling: 250 },
  );
}

export async function train(page: Page, timeout = 600_000): Promise<void> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForSelector('body[data-train="done"], body[data-train="error"]', { timeout });
  if ((await page.getAttribute('body', 'data-train')) !== 'done')
    throw new Error(`training failed in the page: ${await page.textContent('#notice')}`);
}

/** Every held-out photo's answer, by opening each cell of the confusion matrix. */
export async function valAnswers(page: Page): Promise<PageValAnswer[]> {
  const cells = await page.$$('#confusion button.cell');
  const answers: PageValAnswer[] = [];
  for (const cell of cells) {
    await cell.click();
    answers.push(
      ...(await page.$$eval('#cell-photos .photo', (items) =>
        items.map((li) => {
          const d = (li as HTMLElement).dataset;
          return { path: d.path!, truth: d.true!, answer: d.answer! };
        }),
      )),
    );
  }
  return answers;
}

export async function downloadModel(page: Page, dir: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download model.onnx' }).click(),
  ]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

export async function classCards(
  page: Page,
): Promise<{ name: string; count: number; heldOut: number; errors: string[] }[]> {
  return page.$$eval('.class-card', (cards) =>
    cards.map((card) => {
      const d = (card as HTMLElement).dataset;
      return {
        name: d.class!,
        count: Number(d.count),
        heldOut: Number(d.heldOut),
        errors: Array.from(card.querySelectorAll('.photo-errors li'), (li) => li.textContent ?? ''),
      };
    }),
  );
}

export async function listed(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (items) => items.map((i) => i.textContent ?? ''));
}
