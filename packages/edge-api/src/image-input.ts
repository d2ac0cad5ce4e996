import {
  type DecodeRule,
  type ImageHeader,
  type JpegEighths,
  jpegScaledSize,
  jpegScaleEighths,
  readImageHeader,
  sniffImageFormat,
} from '@ferry/core';
import { HttpError } from './errors.js';
import { formatPixels } from './limits.js';

/**
 * The frame a decoder will hold for this image: baseline JPEGs (CMYK too) at the decode rule's
 * DCT scale. A progressive JPEG counts at full size even so: libjpeg keeps all its full-size
 * coefficients (2 bytes each, 3-6 bytes per pixel) until the last scan, so scaling saves no
 * memory there.
 */
export function decodedSize(
  header: ImageHeader,
  rule: DecodeRule | undefined,
): { width: number; height: number } {
  if (header.format !== 'jpeg' || header.progressive) return header;
  return jpegScaledSize(header.width, header.height, jpegScaleEighths(header.width, header.height, rule));
}

/** What inspectImage found: the header, and the decode rule this upload is decoded with. */
export interface InspectedImage {
  header: ImageHeader;
  /** The model's rule; for a model without one, a rule that fits the pixel limit (see below). */
  rule: DecodeRule | undefined;
  /**
   * Set when a model without a decode rule got a reduced decode to fit the pixel limit: the
   * answer says so in `decode_note`.
   */
  reduced?: { eighths: JpegEighths; width: number; height: number };
}

/**
 * For a model file from before the decode rule (no `decode` in its spec), which decodes at full
 * size as it always did: when that full frame is over the pixel limit, the largest DCT scale (1/2, 1/4, 1/8) whose frame fits, as a rule that selects exactly
 * it. On Workers (3 MP) that is every phone photo: refusing them would break such a model for the
 * uploads people actually send, and a full 12-MP frame (48 MB) cannot fit the isolate beside the
 * model. The model still resizes the frame to its input size, so the answer is close to the full
 * decode's (same top-1 on the tests' photos), not identical: the answer's `decode_note` says so.
 */
function reducedToFit(header: ImageHeader, maxPixels: number): InspectedImage['reduced'] | undefined {
  if (header.format !== 'jpeg' || header.progressive) return undefined;
  if (header.width * header.height <= maxPixels) return undefined;
  for (const eighths of [4, 2, 1] as const) {
    const size = jpegScaledSize(header.width, header.height, eighths);
    if (size.width * size.height <= maxPixels) return { eighths, ...size };
  }
  return undefined;
}

/**
 * Checks upload bytes before any pixel is decoded: must be a JPEG/PNG/GIF/WebP with a readable
 * header, and the frame the decoder will hold must fit `maxPixels` (a 50000x50000 PNG is refused
 * from its 33-byte header, never allocated). With a decode rule, a JPEG counts at its decoded size: a 12-MP photo is 0.19 MP at 1/8. Without a
 * rule, a baseline JPEG over the limit is decoded reduced to fit it (reducedToFit).
 */
export function inspectImage(bytes: Uint8Array, maxPixels: number, modelRule?: DecodeRule): InspectedImage {
  if (sniffImageFormat(bytes) === null) {
    throw new HttpError(400, 'bad_image', 'body is not a JPEG, PNG, GIF or WebP image');
  }
  const header = readImageHeader(bytes);
  if (!header) throw new HttpError(400, 'bad_image', 'image header is truncated or corrupt');
  if (header.width <= 0 || header.height <= 0) {
    throw new HttpError(400, 'bad_image', `image declares an empty size ${header.width}x${header.height}`);
  }
  const reduced = modelRule ? undefined : reducedToFit(header, maxPixels);
  // A rule whose minimum is the reduced frame's shorter side selects exactly that scale (a rule
  // without `scales` allows the same 1/2, 1/4, 1/8 that reducedToFit tries).
  const rule = reduced ? { minShorterSide: Math.min(reduced.width, reduced.height) } : modelRule;
  const decoded = decodedSize(header, rule);
  const pixels = decoded.width * decoded.height;
  if (pixels > maxPixels) {
    const scaled =
      decoded.width !== header.width
        ? ` (decoded at ${decoded.width}x${decoded.height})`
        : header.progressive
          ? ' (progressive JPEG: decoded from full-size coefficients)'
          : '';
    // The largest frame of the same shape that fits: the fix, in words.
    const fitWidth = Math.floor(Math.sqrt((maxPixels * header.width) / header.height));
    const fitHeight = Math.floor((fitWidth * header.height) / header.width);
    const baseline = header.format === 'jpeg' && header.progressive ? ' or as a baseline JPEG' : '';
    throw new HttpError(
      413,
      'image_too_large',
      `image is ${header.width}x${header.height} pixels${scaled}, ${formatPixels(pixels)} to decode; ` +
        `this server decodes at most ${formatPixels(maxPixels)} (${maxPixels} pixels, FERRY_MAX_PIXELS): ` +
        `send it resized to at most ${fitWidth}x${fitHeight}${baseline}`,
    );
  }
  return reduced ? { header, rule, reduced } : { header, rule };
}
