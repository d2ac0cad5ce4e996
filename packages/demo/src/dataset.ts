/**
 * Finds the ants/bees dataset for `ferry demo`: the read-only mirror
 * ($FERRY_DATA_DIR/hymenoptera_data), else the cache ($FERRY_CACHE_DIR or ~/.cache/ferry,
 * data/hymenoptera_data), else downloads the PyTorch tutorial zip into the cache. The zip is
 * downloaded to a temp file (size checked), unpacked into a temp folder, checked, and only then
 * renamed into place: an interrupted run never leaves a folder that looks complete.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheDir, DownloadError, type DownloadProgress, downloadFile } from '@ferry/trainer';
import { unzip } from 'fflate';

export const DATASET_URL = 'https://download.pytorch.org/tutorial/hymenoptera_data.zip';
export const DATASET_NAME = 'hymenoptera_data';
/** The published zip is ~47 MB; anything far smaller is an error page or a cut download. */
const MIN_ZIP_BYTES = 10_000_000;
/** train+val x ants+bees: 398 files in the published zip. */
const MIN_IMAGES = 390;

export class DemoDataError extends Error {
  override name = 'DemoDataError';
}

export interface ResolvedDataset {
  dir: string;
  source: 'mirror' | 'cache' | 'download';
}

export interface ResolveDatasetOptions {
  /** Default DATASET_URL; tests point it at a local server. */
  url?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Lines for the user ("downloading ..."). */
  log?: (line: string) => void;
  /** Sanity floors for the download; lowered only by tests that serve a tiny zip. */
  minZipBytes?: number;
  minImages?: number;
}

const SPLITS = ['train/ants', 'train/bees', 'val/ants', 'val/bees'];

/** Counts the image files in the four split folders; null when one is missing. */
export function countImages(dir: string): number | null {
  let total = 0;
  for (const split of SPLITS) {
    const path = join(dir, split);
    if (!existsSync(path) || !statSync(path).isDirectory()) return null;
    total += readdirSync(path).filter((f) => !f.startsWith('.')).length;
  }
  return total;
}

function offlineHint(url: string): string {
  return (
    `download it by hand from ${url} and unzip it so that $FERRY_DATA_DIR/${DATASET_NAME}/train exists ` +
    '(then set FERRY_DATA_DIR), or pass --data DIR with your own folder-per-class photos'
  );
}

async function downloadAndUnpack(url: string, target: string, options: ResolveDatasetOptions): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const zipPath = join(parent, `.${DATASET_NAME}.${tag}.zip`);
  const unpackDir = join(parent, `.${DATASET_NAME}.${tag}.unpack`);
  try {
    options.log?.(`downloading the ants/bees dataset from ${url} into ${parent}`);
    let result: { bytes: number };
    try {
      result = await downloadFile(url, zipPath, options.onProgress ? { onProgress: options.onProgress } : {});
    } catch (error) {
      if (!(error instanceof DownloadError)) throw error;
      throw new DemoDataError(`no ants/bees dataset offline and ${error.message}; ${offlineHint(url)}`);
    }
    if (result.bytes < (options.minZipBytes ?? MIN_ZIP_BYTES)) {
      throw new DemoDataError(
        `${url} gave ${result.bytes} bytes, expected a zip of about 47 MB; ${offlineHint(url)}`,
      );
    }
    const entries = await new Promise<Record<string, Uint8Array>>((resolveEntries, reject) => {
      void readFile(zipPath).then(
        (bytes) =>
          unzip(new Uint8Array(bytes), (error, files) =>
            error
              ? reject(new DemoDataError(`${url} is not a valid zip: ${error.message}`))
              : resolveEntries(files),
          ),
        reject,
      );
    });
    for (const [name, data] of Object.entries(entries)) {
      // Zip entries are untrusted paths: keep only plain relative ones inside the dataset folder.
      if (name.endsWith('/') || name.startsWith('__MACOSX/')) continue;
      const parts = name.split('/');
      if (parts[0] !== DATASET_NAME || parts.some((p) => p === '..' || p === '' || p === '.')) continue;
      const dest = join(unpackDir, ...parts);
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, data);
    }
    const unpacked = join(unpackDir, DATASET_NAME);
    const count = countImages(unpacked);
    const minImages = options.minImages ?? MIN_IMAGES;
    if (count === null || count < minImages) {
      throw new DemoDataError(
        `${url} does not hold ${DATASET_NAME}/{train,val}/{ants,bees} with ${minImages}+ photos (found ${count ?? 'no such folders'}); ${offlineHint(url)}`,
      );
    }
    try {
      await rename(unpacked, target);
    } catch (error) {
      // Another demo finished the same download first: its copy is as good as ours.
      if (countImages(target) === null) throw error;
    }
  } finally {
    await rm(zipPath, { force: true });
    await rm(unpackDir, { recursive: true, force: true });
  }
}

export async function resolveDemoDataset(options: ResolveDatasetOptions = {}): Promise<ResolvedDataset> {
  const mirror = process.env.FERRY_DATA_DIR;
  if (mirror) {
    const dir = join(mirror, DATASET_NAME);
    if (countImages(dir) !== null) return { dir, source: 'mirror' };
    options.log?.(
      `FERRY_DATA_DIR=${mirror} has no ${DATASET_NAME}/{train,val}/{ants,bees}; trying the cache`,
    );
  }
  const cached = join(cacheDir(), 'data', DATASET_NAME);
  if (countImages(cached) !== null) return { dir: cached, source: 'cache' };
  const url = options.url ?? DATASET_URL;
  if (process.env.FERRY_OFFLINE === '1') {
    throw new DemoDataError(
      `no ants/bees dataset offline (FERRY_OFFLINE=1 forbids downloads); ${offlineHint(url)}`,
    );
  }
  await downloadAndUnpack(url, cached, options);
  return { dir: cached, source: 'download' };
}

/** Checks a user's --data folder before the long parts start. */
export function checkDataDir(dir: string): void {
  if (!existsSync(dir)) throw new DemoDataError(`--data ${dir} does not exist`);
  if (!statSync(dir).isDirectory())
    throw new DemoDataError(
      `--data ${dir} is not a folder (expected DIR/<label>/*.jpg or DIR/{train,val}/<label>/)`,
    );
}
