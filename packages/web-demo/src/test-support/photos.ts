/**
 * Photos for the browser tests: the real ones from the shared mirrors when FERRY_* point at
 * them, otherwise synthetic JPEGs made here (smooth gradients with shapes, one carrying an
 * EXIF rotation) so the tests still run on a fresh clone.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { haveRealData, realData } from '@ferry/fixtures/real-data';
import sharp from 'sharp';

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

export async function syntheticPhotos(dir: string, count = 6): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const width = 160 + 37 * i;
    const height = 120 + 23 * ((i * 3) % 5);
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        const inBlob = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (height * (0.15 + 0.05 * i)) ** 2;
        pixels[o] = inBlob ? 230 - 20 * i : (x * 255) / width;
        pixels[o + 1] = inBlob ? 40 + 30 * i : (y * 255) / height;
        pixels[o + 2] = ((x + y + 40 * i) * 2) % 256;
      }
    }
    const file = join(dir, `synthetic-${i}.jpg`);
    let image = sharp(pixels, { raw: { width, height, channels: 3 } });
    // One photo stored sideways with an EXIF rotation: both decoders must honour it.
    if (i === 1) image = image.withMetadata({ orientation: 6 });
    await image.jpeg({ quality: 90 }).toFile(file);
    files.push(file);
  }
  return files;
}

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
