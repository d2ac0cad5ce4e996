/**
 * Where the real photos and pretrained weights are, for tests that need them. Unset on a user's
 * fresh clone: such tests skip and say so loudly. `.ci/run` sets FERRY_REQUIRE_REAL_DATA=1, and
 * then a missing directory is a failure, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RealData {
  /** `.../data`: contains hymenoptera_data/{train,val}/{ants,bees}. */
  dataDir?: string;
  hymenopteraDir?: string;
  /** `.../pretrained`: contains mobilenet_v2_0.35_224/ and darknet_tiny/. */
  modelsDir?: string;
  /** Seven assorted real photos. */
  imagesDir?: string;
}

function resolveDir(env: string, probe: string): string | undefined {
  const value = process.env[env];
  if (!value) return undefined;
  if (!existsSync(join(value, probe))) {
    throw new Error(`${env}=${value} does not contain ${probe}`);
  }
  return value;
}

export function realData(): RealData {
  const dataDir = resolveDir('FERRY_DATA_DIR', 'hymenoptera_data');
  const modelsDir = resolveDir('FERRY_MODELS_DIR', 'mobilenet_v2_0.35_224');
  const imagesDir =
    process.env.FERRY_IMAGES_DIR ??
    (dataDir && existsSync(join(dataDir, '..', 'images')) ? join(dataDir, '..', 'images') : undefined);
  return {
    dataDir,
    hymenopteraDir: dataDir ? join(dataDir, 'hymenoptera_data') : undefined,
    modelsDir,
    imagesDir: imagesDir && existsSync(imagesDir) ? imagesDir : undefined,
  };
}

/**
 * Returns true when the named real data is available; otherwise prints a loud SKIP line (or
 * throws under FERRY_REQUIRE_REAL_DATA=1, as in CI). Use with `describe.runIf(...)`.
 */
export function haveRealData(what: keyof RealData, testName: string): boolean {
  const value = realData()[what];
  if (value) return true;
  const message = `SKIP ${testName}: needs ${what} (set FERRY_DATA_DIR, FERRY_MODELS_DIR, FERRY_IMAGES_DIR to the shared mirrors)`;
  if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
    throw new Error(`FERRY_REQUIRE_REAL_DATA=1 but ${message}`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}
