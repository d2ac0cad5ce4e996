/**
 * Photos for the browser tests: the real ones from the shared mirrors when FERRY_* point at
 * them, otherwise the synthetic JPEGs every package's tests make (`syntheticPhotos`, one
 * carrying an EXIF rotation) so the tests still run on a fresh clone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import { syntheticPhotos } from '@ferry/trainer/testing';

export interface PhotoSet {
  /** Where the photos came from, for the test log. */
  source: 'real' | 'synthetic';
  /** A few assorted photos (the edge-mode and offline checks use these). */
  assorted: string[];
  /** A sample of the ants/bees validation set (real), or the synthetic photos again. */
  validation: string[];
}

const jpegs = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));

export async function photoSet(scratchDir: string, testName: string): Promise<PhotoSet> {
  if (haveRealData('imagesDir', testName) && haveRealData('hymenopteraDir', testName)) {
    const data = realData();
    const val = join(data.hymenopteraDir!, 'val');
    const validation = [...jpegs(join(val, 'ants')), ...jpegs(join(val, 'bees'))];
    // Every 8th val photo, both classes: the whole val set runs with real weights in
    // real-model.test.ts; here a random-weight model only needs variety.
    return {
      source: 'real',
      assorted: jpegs(data.imagesDir!),
      validation: validation.filter((_, i) => i % 8 === 0),
    };
  }
  const synthetic = await syntheticPhotos(scratchDir);
  return { source: 'synthetic', assorted: synthetic.slice(0, 3), validation: synthetic };
}
