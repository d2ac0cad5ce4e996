/**
 * The folder-per-class rules of a dataset, one source for `ferry train --data DIR` (trainer
 * `data/dataset.ts` lists the directory) and the page's folder input (it lists the files the
 * browser hands it): which files count as photos, the `train/` + `val/` layout, the checks and
 * their messages, the label order and the seeded split, and the imbalance warning.
 */
import { stratifiedSplit } from './split.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** A file that a class folder counts: not hidden, with an image extension (case-insensitive). */
export function isPhotoFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return !name.startsWith('.') && dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

/** Class name -> its photos' paths, in listing order (folders and files sorted by name). */
export type ClassFolders = Map<string, string[]>;

export function checkClasses(classes: Map<string, number>, where: string): void {
  if (classes.size === 0) {
    throw new DatasetError(`no class folders found in ${where}: expected ${where}/<label>/*.jpg`);
  }
  const empty = [...classes].filter(([, n]) => n === 0).map(([name]) => name);
  if (empty.length > 0) {
    throw new DatasetError(
      `class folder(s) with no images in ${where}: ${empty.join(', ')} (supported: ${[...IMAGE_EXTENSIONS].join(' ')})`,
    );
  }
  if (classes.size === 1) {
    throw new DatasetError(
      `only one class (${[...classes.keys()][0]}) in ${where}: a classifier needs at least two class folders`,
    );
  }
}

export interface LabelledPath {
  path: string;
  /** Index into `labels`. */
  label: number;
}

export interface FolderDataset {
  labels: string[];
  train: LabelledPath[];
  val: LabelledPath[];
  split: 'folders' | 'stratified';
}

const counts = (m: ClassFolders) => new Map([...m].map(([k, v]) => [k, v.length]));

/**
 * The dataset of a folder listing: `split` = the `train/` and `val/` class folders when the
 * folder has both, else every class folder split by `stratifiedSplit(valSplit, seed)`.
 * `where` names the folder in messages.
 */
export function folderDataset(
  listing: { classes: ClassFolders } | { train: ClassFolders; val: ClassFolders },
  where: string,
  valSplit: number,
  seed: number,
): FolderDataset {
  if ('train' in listing) {
    const { train, val } = listing;
    checkClasses(counts(train), `${where}/train`);
    const labels = [...train.keys()];
    const missing = labels.filter((l) => !val.has(l) || val.get(l)?.length === 0);
    if (missing.length > 0) throw new DatasetError(`val/ has no images for class(es): ${missing.join(', ')}`);
    const extra = [...val.keys()].filter((l) => !train.has(l) && (val.get(l)?.length ?? 0) > 0);
    if (extra.length > 0)
      throw new DatasetError(`val/ has class(es) missing from train/: ${extra.join(', ')}`);
    const toSamples = (m: ClassFolders) =>
      labels.flatMap((l, i) => (m.get(l) ?? []).map((path) => ({ path, label: i })));
    return { labels, train: toSamples(train), val: toSamples(val), split: 'folders' };
  }
  checkClasses(counts(listing.classes), where);
  const labels = [...listing.classes.keys()];
  const samples = labels.flatMap((l, i) =>
    (listing.classes.get(l) ?? []).map((path) => ({ path, label: i })),
  );
  return { labels, ...stratifiedSplit(samples, valSplit, seed), split: 'stratified' };
}

/** Photos per class, and a warning when the largest class has over 1.5x the smallest. */
export function classBalance(
  labels: readonly string[],
  samples: readonly LabelledPath[],
): { counts: Record<string, number>; warning?: string } {
  const counts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const s of samples) counts[labels[s.label]!]! += 1;
  const values = Object.values(counts);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const warning =
    min === 0 || max / min > 1.5
      ? `class imbalance: ${Object.entries(counts)
          .map(([l, n]) => `${l}=${n}`)
          .join(', ')} (largest/smallest = ${min === 0 ? 'inf' : (max / min).toFixed(2)})`
      : undefined;
  return warning ? { counts, warning } : { counts };
}
