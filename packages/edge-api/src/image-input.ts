import { type ImageHeader, readImageHeader, sniffImageFormat } from '@ferry/core';
import { HttpError } from './errors.js';

/**
 * Checks upload bytes before any pixel is decoded: must be a JPEG/PNG/GIF/WebP with a readable
 * header, and width x height must fit `maxPixels` (a 50000x50000 PNG is refused from its
 * 33-byte header, never allocated).
 */
export function inspectImage(bytes: Uint8Array, maxPixels: number): ImageHeader {
  if (sniffImageFormat(bytes) === null) {
    throw new HttpError(400, 'bad_image', 'body is not a JPEG, PNG, GIF or WebP image');
  }
  const header = readImageHeader(bytes);
  if (!header) throw new HttpError(400, 'bad_image', 'image header is truncated or corrupt');
  if (header.width <= 0 || header.height <= 0) {
    throw new HttpError(400, 'bad_image', `image declares an empty size ${header.width}x${header.height}`);
  }
  if (header.width * header.height > maxPixels) {
    throw new HttpError(
      413,
      'image_too_large',
      `image is ${header.width}x${header.height} pixels, over the ${maxPixels}-pixel limit`,
    );
  }
  return header;
}
