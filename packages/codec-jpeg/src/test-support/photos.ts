/** Test images for this package's tests: made photos, and the shared real ones. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';

/** Smooth gradients plus noise: real texture for the IDCT and chroma upsampling to get right. */
export function photo(width: number, height: number, seed = 1) {
  const data = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) >>> 0;
      const noise = (state >>> 24) / 8;
      const i = (y * width + x) * 3;
      data[i] = Math.min(255, (x * 255) / width + noise);
      data[i + 1] = Math.min(255, (y * 255) / height + noise);
      data[i + 2] = Math.min(255, 128 + Math.sin(x / 9) * 60 + noise);
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/**
 * The JPEGs among the shared real photos (FERRY_IMAGES_DIR), by file name. CI requires them
 * (FERRY_REQUIRE_REAL_DATA=1); elsewhere a missing folder skips them, loudly.
 */
export function sharedJpegs(comparison: string): [string, Uint8Array][] {
  const imagesDir = process.env.FERRY_IMAGES_DIR;
  if (!imagesDir || !existsSync(imagesDir)) {
    if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
      throw new Error('FERRY_REQUIRE_REAL_DATA=1 but FERRY_IMAGES_DIR is not set');
    console.warn(`\n!!! SKIP the real photos in ${comparison}: set FERRY_IMAGES_DIR\n`);
    return [];
  }
  return readdirSync(imagesDir)
    .sort()
    .map((file): [string, Uint8Array] => [file, new Uint8Array(readFileSync(join(imagesDir, file)))])
    .filter(([, bytes]) => bytes[0] === 0xff && bytes[1] === 0xd8);
}

/**
 * `image` encoded by Debian's cjpeg (libjpeg-turbo-progs, the same libjpeg-turbo 2.1.5) with
 * `args`: for what sharp cannot write, such as 4:2:2 and restart markers.
 */
export async function cjpeg(image: Sharp, args: string[]): Promise<Uint8Array> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const ppm = join(mkdtempSync(join(tmpdir(), 'ferry-cjpeg-')), 'in.ppm');
  writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`), data]));
  return new Uint8Array(execFileSync('cjpeg', [...args, ppm], { maxBuffer: 64 * 2 ** 20 }));
}
