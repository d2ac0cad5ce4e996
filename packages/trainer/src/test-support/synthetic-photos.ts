/**
 * Photos the tests make themselves, so every package's tests pass on a fresh clone without
 * ../shared: one seeded generator (core's createRandom), drawn with sharp. `syntheticJpeg` draws
 * a class you can see (training data: `makeImageFolder`); `photo` a generic one with real texture
 * (gradients, a blob, noise) for codecs and servers, written to files by `syntheticPhotos` and in
 * every format by `decodableSamples`. Part of `@ferry/trainer/testing`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRandom } from '@ferry/core';
import sharp, { type Sharp } from 'sharp';

/**
 * A JPEG for class `label` (0: warm horizontal stripes, 1: cool vertical, 2: green checks).
 * Its pixels are part of the trainer's byte-identical-output checks: do not change the drawing.
 */
export async function syntheticJpeg(label: number, seed: number, width = 160, height = 120): Promise<Buffer> {
  const random = createRandom(seed);
  const data = Buffer.alloc(width * height * 3);
  const period = 8 + random.int(0, 8);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe =
        label === 0
          ? Math.floor(y / period) % 2
          : label === 1
            ? Math.floor(x / period) % 2
            : (Math.floor(x / period) + Math.floor(y / period)) % 2;
      const base = label === 0 ? [200, 90, 40] : label === 1 ? [40, 90, 200] : [60, 180, 70];
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = base[c]! * (stripe ? 1 : 0.55) + random.uniform(-25, 25);
        data[i + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** DIR/<label>/img_<i>.jpg for each class: a dataset as `ferry train` reads it. */
export async function makeImageFolder(
  dir: string,
  labels: string[],
  perClass: number,
  seed = 1,
): Promise<void> {
  for (const [li, label] of labels.entries()) {
    await mkdir(join(dir, label), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await writeFile(
        join(dir, label, `img_${String(i).padStart(3, '0')}.jpg`),
        await syntheticJpeg(li, seed * 1000 + li * 100 + i),
      );
    }
  }
}

/** RGB pixels of a photo-like image: smooth gradients, a bright blob, seeded noise. */
export function photoPixels(width: number, height: number, seed = 1): Buffer {
  const data = Buffer.alloc(width * height * 3);
  const random = createRandom(seed);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const blob = Math.hypot(x - width * 0.6, y - height * 0.4) < Math.min(width, height) / 4 ? 90 : 0;
      data[i] = Math.min(255, (x * 255) / width + blob * 0.5 + random.next() * 30);
      data[i + 1] = Math.min(255, (y * 255) / height + random.next() * 30);
      data[i + 2] = Math.min(255, 128 + blob - random.next() * 40);
    }
  }
  return data;
}

/** A sharp pipeline over `photoPixels`: encode it as the test needs. */
export function photo(width: number, height: number, seed = 1): Sharp {
  return sharp(photoPixels(width, height, seed), { raw: { width, height, channels: 3 } });
}

/**
 * `count` JPEGs of assorted sizes in `dir` (synthetic-<i>.jpg), the second stored sideways with
 * EXIF orientation 6 so decoders must honour it. Returns their paths.
 */
export async function syntheticPhotos(dir: string, count = 6): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `synthetic-${i}.jpg`);
    let image = photo(160 + 37 * i, 120 + 23 * ((i * 3) % 5), 100 + i);
    if (i === 1) image = image.withMetadata({ orientation: 6 });
    await image.jpeg({ quality: 90 }).toFile(file);
    files.push(file);
  }
  return files;
}

export interface Sample {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

/** One of every format/variant the decoders must handle, all decodable. */
export async function decodableSamples(): Promise<Sample[]> {
  const rgba = Buffer.alloc(96 * 64 * 4);
  const base = photoPixels(96, 64, 7);
  for (let p = 0; p < 96 * 64; p++) {
    rgba[p * 4] = base[p * 3]!;
    rgba[p * 4 + 1] = base[p * 3 + 1]!;
    rgba[p * 4 + 2] = base[p * 3 + 2]!;
    rgba[p * 4 + 3] = (p % 96) * 2 + 40;
  }
  const rgbaImage = () => sharp(rgba, { raw: { width: 96, height: 64, channels: 4 } });
  const make = async (name: string, contentType: string, s: Sharp): Promise<Sample> => ({
    name,
    contentType,
    bytes: new Uint8Array(await s.toBuffer()),
  });
  return Promise.all([
    make('jpeg rgb 4:2:0', 'image/jpeg', photo(120, 90).jpeg({ quality: 90 })),
    make('jpeg rgb 4:4:4', 'image/jpeg', photo(120, 90, 2).jpeg({ quality: 90, chromaSubsampling: '4:4:4' })),
    make('jpeg progressive', 'image/jpeg', photo(120, 90, 3).jpeg({ quality: 85, progressive: true })),
    make('jpeg grayscale', 'image/jpeg', photo(120, 90, 4).grayscale().jpeg({ quality: 90 })),
    make('jpeg cmyk', 'image/jpeg', photo(120, 90, 5).toColourspace('cmyk').jpeg({ quality: 90 })),
    make('png rgb', 'image/png', photo(80, 60, 6).png()),
    make('png rgba', 'image/png', rgbaImage().png()),
    make('png 16-bit', 'image/png', photo(80, 60, 8).toColourspace('rgb16').png()),
    make('png grayscale', 'image/png', photo(80, 60, 9).grayscale().png()),
    make('png palette', 'image/png', photo(80, 60, 10).png({ palette: true, colours: 64 })),
    make('gif', 'image/gif', photo(80, 60, 11).gif()),
    make('webp lossy', 'image/webp', photo(80, 60, 12).webp({ quality: 90 })),
    make('webp lossless rgba', 'image/webp', rgbaImage().webp({ lossless: true })),
  ]);
}
