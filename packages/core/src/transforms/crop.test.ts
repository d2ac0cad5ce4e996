import { describe, expect, it } from 'vitest';
import type { Image } from '../image.js';
import { createRandom } from '../random.js';
import { centerCrop, crop, roundHalfEven, squareCrop } from './crop.js';
import { horizontalFlip, randomHorizontalFlip } from './flip.js';
import { randomResizedCrop, randomResizedCropBox } from './random-resized-crop.js';

/** Pixel (x, y) has value [x, y, x + 10 * y]: positions can be read back from values. */
function coordinateImage(width: number, height: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, (x + 10 * y) & 255], (y * width + x) * 3);
  }
  return { width, height, channels: 3, data };
}
const at = (img: Image, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('crop', () => {
  it('copies the requested rectangle', () => {
    const out = crop(coordinateImage(6, 5), 2, 1, 3, 2);
    expect(out).toMatchObject({ width: 3, height: 2 });
    expect(at(out, 0, 0)).toEqual([2, 1, 12]);
    expect(at(out, 2, 1)).toEqual([4, 2, 24]);
  });

  it('rejects rectangles outside the image', () => {
    expect(() => crop(coordinateImage(4, 4), 2, 2, 3, 1)).toThrow(/does not fit/);
    expect(() => crop(coordinateImage(4, 4), -1, 0, 1, 1)).toThrow(/does not fit/);
  });

  it('roundHalfEven is Python round()', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6, 3].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3, 3]);
  });

  it('centerCrop uses torchvision offsets round((size - crop) / 2)', () => {
    // (7 - 4) / 2 = 1.5 -> 2 ; (6 - 5) / 2 = 0.5 -> 0 (banker's rounding)
    const out = centerCrop(coordinateImage(7, 6), 4, 5);
    expect(at(out, 0, 0)).toEqual([2, 0, 2]);
    expect(centerCrop(coordinateImage(9, 9), 9, 9).data).toEqual(coordinateImage(9, 9).data);
  });

  it('centerCrop pads small images with black like torchvision', () => {
    const out = centerCrop(coordinateImage(2, 2), 4, 4);
    expect(out).toMatchObject({ width: 4, height: 4 });
    expect(at(out, 0, 0)).toEqual([0, 0, 0]);
    expect(at(out, 1, 1)).toEqual([0, 0, 0]); // original (0,0) lands at (1,1): value [0,0,0] too
    expect(at(out, 2, 2)).toEqual([1, 1, 11]);
  });

  it('squareCrop keeps the centred square of the shorter side', () => {
    expect(squareCrop(coordinateImage(10, 4))).toMatchObject({ width: 4, height: 4 });
    expect(at(squareCrop(coordinateImage(10, 4)), 0, 0)).toEqual([3, 0, 3]);
  });
});

describe('flip', () => {
  it('mirrors columns and is its own inverse', () => {
    const img = coordinateImage(5, 3);
    const once = horizontalFlip(img);
    expect(at(once, 0, 2)).toEqual(at(img, 4, 2));
    expect(horizontalFlip(once).data).toEqual(img.data);
  });

  it('randomHorizontalFlip respects p and the seed', () => {
    const img = coordinateImage(5, 3);
    expect(randomHorizontalFlip(img, createRandom(1), 0)).toBe(img);
    expect(randomHorizontalFlip(img, createRandom(1), 1).data).toEqual(horizontalFlip(img).data);
    const flips = (seed: number) => {
      const r = createRandom(seed);
      return Array.from({ length: 200 }, () => randomHorizontalFlip(img, r) !== img);
    };
    expect(flips(42)).toEqual(flips(42));
    const share = flips(42).filter(Boolean).length / 200;
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
  });
});

describe('randomResizedCrop', () => {
  it('boxes always fit, follow scale/ratio when sampled, and are seed-deterministic', () => {
    const r = createRandom(3);
    for (let i = 0; i < 500; i++) {
      // Near-square sizes: a fallback (if any) is the whole image, so the area bound holds.
      const w = 200 + ((i * 37) % 60);
      const h = 200 + ((i * 91) % 60);
      const box = randomResizedCropBox(w, h, r, [0.25, 1], [3 / 4, 4 / 3]);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width).toBeLessThanOrEqual(w);
      expect(box.top + box.height).toBeLessThanOrEqual(h);
      const area = (box.width * box.height) / (w * h);
      // Rounding of width/height can move the area a little outside [0.25, 1].
      expect(area).toBeGreaterThan(0.2);
    }
    const a = randomResizedCropBox(300, 200, createRandom(9));
    const b = randomResizedCropBox(300, 200, createRandom(9));
    expect(a).toEqual(b);
  });

  it('falls back to a ratio-clamped centre crop for extreme aspect ratios', () => {
    const box = randomResizedCropBox(1000, 10, createRandom(1), [0.99, 1], [1, 1]);
    expect(box).toEqual({ left: 495, top: 0, width: 10, height: 10 });
  });

  it('outputs the requested size', () => {
    const out = randomResizedCrop(coordinateImage(64, 48), 16, 12, createRandom(5));
    expect(out).toMatchObject({ width: 16, height: 12, channels: 3 });
  });
});
