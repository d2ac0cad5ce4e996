import { assertImage, type Image } from '../image.js';

/**
 * Applies an EXIF orientation tag (1..8) so pixels appear as the camera's viewer shows them,
 * the way sharp's `rotate()` does. Decoders that do not honour EXIF call this with the value
 * read by `readExifOrientation`.
 */
export function applyOrientation(image: Image, orientation: number): Image {
  assertImage(image);
  if (!Number.isInteger(orientation) || orientation <= 1 || orientation > 8) return image;
  const { width: w, height: h, channels: ch, data } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let dx: number;
      let dy: number;
      switch (orientation) {
        case 2:
          dx = w - 1 - x;
          dy = y;
          break; // mirror horizontal
        case 3:
          dx = w - 1 - x;
          dy = h - 1 - y;
          break; // rotate 180
        case 4:
          dx = x;
          dy = h - 1 - y;
          break; // mirror vertical
        case 5:
          dx = y;
          dy = x;
          break; // transpose
        case 6:
          dx = h - 1 - y;
          dy = x;
          break; // rotate 90 clockwise
        case 7:
          dx = h - 1 - y;
          dy = w - 1 - x;
          break; // transverse
        default:
          dx = y;
          dy = w - 1 - x;
          break; // 8: rotate 90 counter-clockwise
      }
      const src = (y * w + x) * ch;
      const dst = (dy * ow + dx) * ch;
      for (let c = 0; c < ch; c++) out[dst + c] = data[src + c]!;
    }
  }
  return { width: ow, height: oh, channels: ch, data: out };
}
