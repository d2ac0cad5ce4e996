import {
  type DecodeRule,
  type ImageHeader,
  jpegScaleDenominator,
  jpegScaledSize,
  readImageHeader,
  sniffImageFormat,
} from '@ferry/core';
import { HttpError } from './errors.js';
import { formatPixels } from './limits.js';

/**
 * The frame a decoder will hold for this image: baseline JPEGs at the decode rule's DCT scale.
 * A progressive JPEG counts at full size even so: libjpeg keeps all its full-size coefficients
 * (2 bytes each, 3-6 bytes per pixel) until the last scan, so scaling saves no memory there.
 */
export function decodedSize(
  header: ImageHeader,
  rule: DecodeRule | undefined,
  scalesJpeg: boolean,
): { width: number; height: number } {
  if (header.format !== 'jpeg' || header.components === 4 || header.progressive || !scalesJpeg) return header;
  const denominator = jpegScaleDenominator(header.width, header.height, rule);
  return jpegScaledSize(header.width, header.height, denominator);
}

/**
 * Checks upload bytes before any pixel is decoded: must be a JPEG/PNG/GIF/WebP with a readable
 * header, and the frame the decoder will hold must fit `maxPixels` (a 50000x50000 PNG is refused
 * from its 33-byte header, never allocated). With a decode rule and a decoder that scales JPEGs
 * (`scalesJpeg`), a JPEG counts at its decoded size: a 12-MP photo is 0.19 MP at 1/8.
 */
export function inspectImage(
  bytes: Uint8Array,
  maxPixels: number,
  rule?: DecodeRule,
  scalesJpeg = false,
): ImageHeader {
  if (sniffImageFormat(bytes) === null) {
    throw new HttpError(400, 'bad_image', 'body is not a JPEG, PNG, GIF or WebP image');
  }
  const header = readImageHeader(bytes);
  if (!header) throw new HttpError(400, 'bad_image', 'image header is truncated or corrupt');
  if (header.width <= 0 || header.height <= 0) {
    throw new HttpError(400, 'bad_image', `image declares an empty size ${header.width}x${header.height}`);
  }
  const decoded = decodedSize(header, rule, scalesJpeg);
  const pixels = decoded.width * decoded.height;
  if (pixels > maxPixels) {
    const scaled =
      decoded.width !== header.width
        ? ` (decoded at ${decoded.width}x${decoded.height})`
        : header.progressive
          ? ' (progressive JPEG: decoded from full-size coefficients)'
          : '';
    throw new HttpError(
      413,
      'image_too_large',
      `image is ${header.width}x${header.height} pixels${scaled}, ${formatPixels(pixels)} to decode; ` +
        `this server decodes at most ${formatPixels(maxPixels)} (${maxPixels} pixels, FERRY_MAX_PIXELS)`,
    );
  }
  return header;
}
