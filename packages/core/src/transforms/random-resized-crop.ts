import { assertImage, type Image } from '../image.js';
import type { Random } from '../random.js';
import { crop } from './crop.js';
import { resize } from './resize.js';

export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries at an area fraction in `scale`
 * and a log-uniform aspect ratio in `ratio`, then a centre crop clamped to the ratio range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  random: Random,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = width * height;
  const logRatio: [number, number] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * random.uniform(scale[0], scale[1]);
    const aspect = Math.exp(random.uniform(logRatio[0], logRatio[1]));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { left: random.int(0, width - w), top: random.int(0, height - h), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = Math.round(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = Math.round(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { left: Math.trunc((width - w) / 2), top: Math.trunc((height - h) / 2), width: w, height: h };
}

export function randomResizedCrop(
  image: Image,
  outWidth: number,
  outHeight: number,
  random: Random,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Image {
  assertImage(image);
  const box = randomResizedCropBox(image.width, image.height, random, scale, ratio);
  return resize(crop(image, box.left, box.top, box.width, box.height), outWidth, outHeight);
}
