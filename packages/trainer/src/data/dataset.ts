/**
 * Labelled image lists: folder-per-class (`DIR/<label>/*`), the ants/bees layout
 * (`DIR/train/<label>`, `DIR/val/<label>`), or a CSV manifest (`file,label`). Only paths are
 * listed here; pixels are decoded lazily by the loader so a dataset never sits in memory. The
 * folder rules themselves (which files count, the checks and messages, label order, split) are
 * @ferry/model's `folderDataset`, which the page's train view applies to the folder it is given.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  checkClasses,
  classBalance,
  DatasetError,
  folderDataset,
  IMAGE_EXTENSIONS,
  isPhotoFileName,
  stratifiedSplit,
} from '@ferry/model';

export { DatasetError, IMAGE_EXTENSIONS };

export interface Sample {
  path: string;
  /** Index into `labels`. */
  label: number;
}

export interface Dataset {
  labels: string[];
  train: Sample[];
  val: Sample[];
  /** How the split was made, for logs and provenance. */
  split: 'folders' | 'stratified' | 'csv';
  root: string;
}

export interface LoadDatasetOptions {
  /** Folder-per-class root, or a root with train/ and val/. */
  dir?: string;
  /** CSV manifest with `file,label` rows (header optional); paths relative to the CSV. */
  csv?: string;
  /** Fraction held out for validation when no train/val folders exist. */
  valSplit?: number;
  seed?: number;
}

async function listClassFolders(dir: string): Promise<Map<string, string[]>> {
  const entries = await readdir(dir, { withFileTypes: true });
  const classes = new Map<string, string[]>();
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const files = (await readdir(join(dir, entry.name), { withFileTypes: true }))
      .filter((f) => f.isFile() && isPhotoFileName(f.name))
      .map((f) => join(dir, entry.name, f.name))
      .sort();
    classes.set(entry.name, files);
  }
  return classes;
}

async function loadFolders(dir: string, valSplit: number, seed: number): Promise<Dataset> {
  const root = resolve(dir);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(root);
  } catch {
    throw new DatasetError(`data directory ${root} does not exist`);
  }
  if (!info.isDirectory()) throw new DatasetError(`${root} is not a directory`);
  const hasSplit = existsSync(join(root, 'train')) && existsSync(join(root, 'val'));
  const listing = hasSplit
    ? { train: await listClassFolders(join(root, 'train')), val: await listClassFolders(join(root, 'val')) }
    : { classes: await listClassFolders(root) };
  return { ...folderDataset(listing, root, valSplit, seed), root };
}

/** Minimal CSV: comma separated, optional double quotes, optional `file,label` header. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cell.trim());
        cell = '';
      } else cell += ch;
    }
    cells.push(cell.trim());
    rows.push(cells);
  }
  return rows;
}

async function loadCsv(csvPath: string, valSplit: number, seed: number): Promise<Dataset> {
  const path = resolve(csvPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(
      `cannot read CSV manifest ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  const rows = parseCsv(text);
  if (rows[0] && rows[0][0]?.toLowerCase() === 'file' && rows[0][1]?.toLowerCase() === 'label') rows.shift();
  const base = dirname(path);
  const counts = new Map<string, number>();
  const pairs: { path: string; label: string }[] = [];
  rows.forEach((row, i) => {
    if (row.length < 2 || !row[0] || !row[1]) {
      throw new DatasetError(`${path}:${i + 1}: expected "file,label", got "${row.join(',')}"`);
    }
    const file = isAbsolute(row[0]) ? row[0] : join(base, row[0]);
    pairs.push({ path: file, label: row[1] });
    counts.set(row[1], (counts.get(row[1]) ?? 0) + 1);
  });
  checkClasses(counts, path);
  const labels = [...counts.keys()].sort();
  const samples = pairs.map((p) => ({ path: p.path, label: labels.indexOf(p.label) }));
  return { labels, ...stratifiedSplit(samples, valSplit, seed), split: 'csv', root: base };
}

export async function loadDataset(options: LoadDatasetOptions): Promise<Dataset> {
  const valSplit = options.valSplit ?? 0.2;
  if (!(valSplit > 0 && valSplit < 1))
    throw new DatasetError(`--val-split must be in (0, 1), got ${valSplit}`);
  const seed = options.seed ?? 42;
  if (options.csv) return loadCsv(options.csv, valSplit, seed);
  if (!options.dir) throw new DatasetError('no data given: pass --data DIR or --csv FILE');
  return loadFolders(options.dir, valSplit, seed);
}

/** Counts per class and a warning line when the largest class is over 1.5x the smallest. */
export function describeBalance(
  ds: Dataset,
  samples: Sample[],
): { counts: Record<string, number>; warning?: string } {
  return classBalance(ds.labels, samples);
}

export function displayPath(ds: Dataset, path: string): string {
  const rel = relative(ds.root, path);
  return rel.startsWith('..') ? path : rel;
}
