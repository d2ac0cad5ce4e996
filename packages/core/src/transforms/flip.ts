import { assertImage, type Image } from '../image.js';
import type { Random } from '../random.js';

export function horizontalFlip(image: Image): Image {
  assertImage(image);
  const { width, height, channels: ch, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * ch;
    for (let x = 0; x < width; x++) {
      const src = row + x * ch;
      const dst = row + (width - 1 - x) * ch;
      for (let c = 0; c < ch; c++) out[dst + c] = data[src + c]!;
    }
  }
  return { width, height, channels: ch, data: out };
}

/** Flips with probability p; always draws one number so the random stream stays aligned. */
export function randomHorizontalFlip(image: Image, random: Random, p = 0.5): Image {
  return random.next() < p ? horizontalFlip(image) : image;
}
