/** Test images for this package's tests: made photos, and the shared real ones. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boxReduce, type Image, toRgb } from '@ferry/core';
import sharp, { type Sharp } from 'sharp';

/** Smooth gradients plus noise (RGB, or RGBA with an alpha ramp that reaches 0 and 255). */
export function photoPixels(width: number, height: number, seed = 1, channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) >>> 0;
      const noise = (state >>> 24) / 8;
      const i = (y * width + x) * channels;
      data[i] = Math.min(255, (x * 255) / width + noise);
      data[i + 1] = Math.min(255, (y * 255) / height + noise);
      data[i + 2] = Math.min(255, 128 + Math.sin(x / 9) * 60 + noise);
      if (channels === 4)
        data[i + 3] = Math.max(0, Math.min(255, Math.round(((x + y) * 400) / (width + height)) - 60));
    }
  }
  return data;
}

export function photo(width: number, height: number, seed = 1, channels: 3 | 4 = 3): Sharp {
  return sharp(photoPixels(width, height, seed, channels), { raw: { width, height, channels } });
}

/** What the trainer does with a WebP (decodeReducedWithSharp): sharp's frame, core's boxReduce. */
export async function sharpReduced(bytes: Uint8Array, factor: number): Promise<Image> {
  const { data, info } = await sharp(bytes, { failOn: 'error', pages: 1 })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const frame: Image = {
    width: info.width,
    height: info.height,
    channels: info.channels as 3 | 4,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
  // boxReduce leaves factor 1 alone (RGBA stays RGBA); the decoder's output is always RGB.
  return factor === 1 ? toRgb(frame) : boxReduce(frame, factor);
}

/**
 * The shared real photos (FERRY_IMAGES_DIR), by file name. CI requires them
 * (FERRY_REQUIRE_REAL_DATA=1); elsewhere a missing folder skips them, loudly.
 */
export function sharedPhotos(comparison: string): [string, Uint8Array][] {
  const imagesDir = process.env.FERRY_IMAGES_DIR;
  if (!imagesDir || !existsSync(imagesDir)) {
    if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
      throw new Error('FERRY_REQUIRE_REAL_DATA=1 but FERRY_IMAGES_DIR is not set');
    console.warn(`\n!!! SKIP the real photos in ${comparison}: set FERRY_IMAGES_DIR\n`);
    return [];
  }
  return readdirSync(imagesDir)
    .sort()
    .map((file): [string, Uint8Array] => [file, new Uint8Array(readFileSync(join(imagesDir, file)))]);
}
