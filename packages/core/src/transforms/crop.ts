import { assertImage, type Image, ImageError } from '../image.js';

/** Python's round(): halves go to the even neighbour. torchvision's center crop relies on it. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Copy the rectangle [left, left+width) x [top, top+height); it must lie inside the image. */
export function crop(image: Image, left: number, top: number, width: number, height: number): Image {
  assertImage(image);
  if (
    !Number.isInteger(left) ||
    !Number.isInteger(top) ||
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width <= 0 ||
    height <= 0 ||
    left < 0 ||
    top < 0 ||
    left + width > image.width ||
    top + height > image.height
  ) {
    throw new ImageError(
      `crop ${width}x${height}+${left}+${top} does not fit inside a ${image.width}x${image.height} image`,
    );
  }
  const ch = image.channels;
  const out = new Uint8Array(width * height * ch);
  const rowBytes = width * ch;
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * image.width + left) * ch;
    out.set(image.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return { width, height, channels: ch, data: out };
}

/**
 * torchvision's CenterCrop: offsets round((size - crop) / 2) with Python rounding; an image
 * smaller than the crop is zero-padded first (also torchvision's behaviour).
 */
export function centerCrop(image: Image, width: number, height: number): Image {
  assertImage(image);
  let source = image;
  if (width > image.width || height > image.height) source = padToAtLeast(image, width, height);
  const left = roundHalfEven((source.width - width) / 2);
  const top = roundHalfEven((source.height - height) / 2);
  return crop(source, left, top, width, height);
}

/** The largest centred square: a square photo keeps all of its shorter side. */
export function squareCrop(image: Image): Image {
  const side = Math.min(image.width, image.height);
  return centerCrop(image, side, side);
}

function padToAtLeast(image: Image, width: number, height: number): Image {
  const w = Math.max(width, image.width);
  const h = Math.max(height, image.height);
  const ch = image.channels;
  const padLeft = Math.trunc((w - image.width) / 2);
  const padTop = Math.trunc((h - image.height) / 2);
  const out = new Uint8Array(w * h * ch);
  for (let y = 0; y < image.height; y++) {
    const src = y * image.width * ch;
    out.set(image.data.subarray(src, src + image.width * ch), ((y + padTop) * w + padLeft) * ch);
  }
  return { width: w, height: h, channels: ch, data: out };
}
