/**
 * The one image type every Ferry package passes around. Decoders (sharp in Node, canvas in
 * browsers, JS/wasm codecs in Workers) produce it; `core` transforms consume it.
 * Pixels are row-major, interleaved, 8 bits per channel, RGB or RGBA.
 */
export interface Image {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

export class ImageError extends Error {
  override name = 'ImageError';
}

export function createImage(width: number, height: number, channels: 3 | 4 = 3): Image {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}

/** Throws an ImageError when the buffer does not hold width*height*channels bytes. */
export function assertImage(image: Image): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError(`image dimensions must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4)
    throw new ImageError(`image channels must be 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new ImageError(
      `image data has ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
}

/** One channel of a straight-alpha pixel composited over `background` (rounded): toRgb's formula. */
export function flattenChannel(value: number, alpha: number, background = 255): number {
  return Math.round((value * alpha + background * (255 - alpha)) / 255);
}

/**
 * Drops alpha by compositing over a background (white by default, as photo viewers and
 * sharp's `flatten()` do), so RGBA uploads classify like their RGB rendering.
 */
export function toRgb(image: Image, background: readonly [number, number, number] = [255, 255, 255]): Image {
  if (image.channels === 3) return image;
  const { width, height, data } = image;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    const a = data[i + 3]!;
    if (a === 255) {
      out[j] = data[i]!;
      out[j + 1] = data[i + 1]!;
      out[j + 2] = data[i + 2]!;
    } else {
      for (let c = 0; c < 3; c++) {
        out[j + c] = flattenChannel(data[i + c]!, a, background[c]!);
      }
    }
  }
  return { width, height, channels: 3, data: out };
}
