/**
 * Labelled image lists: folder-per-class (`DIR/<label>/*`), the ants/bees layout
 * (`DIR/train/<label>`, `DIR/val/<label>`), or a CSV manifest (`file,label`). Only paths are
 * listed here; pixels are decoded lazily by the loader so a dataset never sits in memory.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { stratifiedSplit } from '@ferry/model';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export class DatasetError extends Error {
  override name = 'DatasetError';
}

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
      .filter(
        (f) => f.isFile() && !f.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(f.name).toLowerCase()),
      )
      .map((f) => join(dir, entry.name, f.name))
      .sort();
    classes.set(entry.name, files);
  }
  return classes;
}

function checkClasses(classes: Map<string, number>, where: string): void {
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
  if (hasSplit) {
    const train = await listClassFolders(join(root, 'train'));
    const val = await listClassFolders(join(root, 'val'));
    checkClasses(new Map([...train].map(([k, v]) => [k, v.length])), join(root, 'train'));
    const labels = [...train.keys()];
    const missing = labels.filter((l) => !val.has(l) || val.get(l)?.length === 0);
    if (missing.length > 0) throw new DatasetError(`val/ has no images for class(es): ${missing.join(', ')}`);
    const extra = [...val.keys()].filter((l) => !train.has(l) && (val.get(l)?.length ?? 0) > 0);
    if (extra.length > 0)
      throw new DatasetError(`val/ has class(es) missing from train/: ${extra.join(', ')}`);
    const toSamples = (m: Map<string, string[]>) =>
      labels.flatMap((l, i) => (m.get(l) ?? []).map((path) => ({ path, label: i })));
    return { labels, train: toSamples(train), val: toSamples(val), split: 'folders', root };
  }
  const classes = await listClassFolders(root);
  checkClasses(new Map([...classes].map(([k, v]) => [k, v.length])), root);
  const labels = [...classes.keys()];
  const samples = labels.flatMap((l, i) => (classes.get(l) ?? []).map((path) => ({ path, label: i })));
  return { labels, ...stratifiedSplit(samples, valSplit, seed), split: 'stratified', root };
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
  const counts: Record<string, number> = Object.fromEntries(ds.labels.map((l) => [l, 0]));
  for (const s of samples) counts[ds.labels[s.label]!]! += 1;
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

export function displayPath(ds: Dataset, path: string): string {
  const rel = relative(ds.root, path);
  return rel.startsWith('..') ? path : rel;
}
