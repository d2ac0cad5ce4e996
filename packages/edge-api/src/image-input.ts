import {
  boxReducedSize,
  boxReduceFactor,
  type DecodeRule,
  type ImageHeader,
  type JpegEighths,
  jpegScaledSize,
  jpegScaleEighths,
  MAX_PIXELS,
  readImageHeader,
  sniffImageFormat,
} from '@ferry/core';
import { HttpError } from './errors.js';
import { formatPixels } from './limits.js';

/**
 * Bytes one pixel of a whole decoded frame costs at the decode's peak, garbage not yet collected
 * included (bench/isolate-memory.mjs: a PNG at the Workers limit decoding amid a burst of phone
 * photos held about 16 bytes per pixel above the loaded model): the unit the pixel limit counts
 * in, so other buffers convert to it.
 */
export const BYTES_PER_FRAME_PIXEL = 16;

/**
 * How many times a store the wasm decoders grow their heap for counts (a progressive JPEG's
 * coefficients, a lossless WebP's frame): codec-jpeg and codec-webp keep one instance for the
 * isolate's life and wasm memory never shrinks, so the heap stays after the decode, beside every
 * later one. Counting it twice keeps what stays under half the limit. (Dropping a grown instance
 * instead leaves its memory to a late GC: 16 lossless WebPs in a row then held 150 MiB,
 * bench/isolate-memory.mjs.)
 */
const WASM_HEAP_STAYS = 2;

/** What a decode of this image holds at its peak, in frame pixels, and how it is decoded. */
export interface DecodeCost {
  /** The frame the decoder returns (reduced by the rule where the format allows). */
  width: number;
  height: number;
  /** Frame pixels the decode holds at its peak, other buffers counted at BYTES_PER_FRAME_PIXEL. */
  pixels: number;
  /** Why it costs what it does, for the 413's message; empty for a plain whole-frame decode. */
  note: string;
}

/**
 * Whether a decoder that streams rows (Workers' createJsDecoder) decodes this PNG row by row into
 * its box-reduced frame: a non-interlaced PNG under a rule with `reduce` (Adam7 rows come in seven
 * passes, so an interlaced PNG is decoded whole).
 */
export function pngStreamsRows(header: ImageHeader, rule: DecodeRule | undefined): boolean {
  return header.format === 'png' && rule?.reduce === 'box' && !header.interlaced;
}

/**
 * What codec-webp's wasm heap holds at its peak besides the file it copies in, by coding
 * (measured with the heap growing to exactly what it asks for): lossy rows pass through a window
 * of a few rows (about 200 bytes a column); an alpha plane and its own lossless decoder take up
 * to 5 bytes a pixel, lossless 4 a pixel plus about 33 rows, an animation's first frame at most 5
 * a pixel plus a canvas row: those count twice (WASM_HEAP_STAYS). A header cut short counts as the
 * most, 5 a pixel.
 */
function webpHeap(header: ImageHeader): { bytes: number; stays: boolean; note: string } {
  const { width, height } = header;
  switch (header.webpCoding) {
    case 'lossy':
      return { bytes: 200 * width, stays: false, note: 'decoded row by row' };
    case 'lossless':
      return {
        bytes: 4 * width * height + 33 * 4 * width,
        stays: true,
        note: 'lossless WebP: decoded whole',
      };
    case 'lossy+alpha':
      return { bytes: 5 * width * height, stays: true, note: "WebP with alpha: the alpha plane's decoder" };
    default:
      return {
        bytes: 5 * width * height + 4 * width,
        stays: true,
        note: 'animated WebP: its first frame decoded whole',
      };
  }
}

/**
 * What each decoder holds (decoders/): a baseline JPEG its DCT-scaled frame; a progressive JPEG
 * that frame plus its coefficient store, kept until the last scan (core's `coefficientBytes`:
 * every coefficient, or at 1/8 only those the IDCTs read). With a decoder that streams rows
 * (Workers), a non-interlaced PNG under a `reduce` rule its reduced frame, and a WebP its reduced
 * frame plus what codec-webp's heap holds (webpHeap) and the file. Anything else its whole
 * frame, reduced after (sharp on Node; GIF and interlaced PNG on Workers).
 */
export function decodeCost(
  header: ImageHeader,
  rule: DecodeRule | undefined,
  { streamsRows = false, fileBytes = 0 }: { streamsRows?: boolean; fileBytes?: number } = {},
): DecodeCost {
  const { width, height } = header;
  if (header.format === 'jpeg') {
    const eighths = jpegScaleEighths(width, height, rule);
    const scaled = jpegScaledSize(width, height, eighths);
    const framePixels = scaled.width * scaled.height;
    const at = scaled.width !== width ? `decoded at ${scaled.width}x${scaled.height}` : '';
    if (!header.progressive) return { ...scaled, pixels: framePixels, note: at };
    // A cut-short frame header gives no sampling factors: count libjpeg's buffer at 4:4:4, the
    // most there can be.
    const stored = header.coefficientBytes;
    const coefficients = stored ? (eighths === 1 ? stored.eighth : stored.full) : width * height * 3 * 2;
    return {
      ...scaled,
      pixels: framePixels + Math.ceil((WASM_HEAP_STAYS * coefficients) / BYTES_PER_FRAME_PIXEL),
      note: `progressive JPEG: ${(coefficients / 2 ** 20).toFixed(1)} MB of coefficients${at ? `, ${at}` : ''}`,
    };
  }
  const reduced = boxReducedSize(width, height, boxReduceFactor(width, height, rule));
  if (streamsRows && pngStreamsRows(header, rule))
    return { ...reduced, pixels: reduced.width * reduced.height, note: 'decoded row by row' };
  if (streamsRows && header.format === 'webp') {
    // The wasm heap (libwebp's buffers and the file's copy), twice when it grows (WASM_HEAP_STAYS),
    // and the upload's own bytes.
    const heap = webpHeap(header);
    const bytes = (heap.stays ? WASM_HEAP_STAYS : 1) * (heap.bytes + fileBytes) + fileBytes;
    return {
      ...reduced,
      pixels: reduced.width * reduced.height + Math.ceil(bytes / BYTES_PER_FRAME_PIXEL),
      note: heap.note,
    };
  }
  const whole = header.format === 'png' && header.interlaced ? 'interlaced PNG: decoded whole' : '';
  return { ...reduced, pixels: width * height, note: whole };
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

/** The largest frame of the image's shape within `pixels`, as "WxH": the fix, in words. */
function fitWithin(header: ImageHeader, pixels: number): string {
  const width = Math.floor(Math.sqrt((pixels * header.width) / header.height));
  return `${width}x${Math.floor((width * header.height) / header.width)}`;
}

/**
 * Checks upload bytes before any pixel is decoded: must be a JPEG/PNG/GIF/WebP with a readable
 * header, and the frame the decoder will hold must fit `maxPixels` (a 50000x50000 PNG is refused
 * from its 33-byte header, never allocated). With a decode rule, a JPEG counts at its decoded size: a 12-MP photo is 0.19 MP at 1/8. Without a
 * rule, a baseline JPEG over the limit is decoded reduced to fit it (reducedToFit).
 */
export function inspectImage(
  bytes: Uint8Array,
  maxPixels: number,
  modelRule?: DecodeRule,
  streamsRows = false,
): InspectedImage {
  if (sniffImageFormat(bytes) === null) {
    throw new HttpError(400, 'bad_image', 'body is not a JPEG, PNG, GIF or WebP image');
  }
  const header = readImageHeader(bytes);
  if (!header) throw new HttpError(400, 'bad_image', 'image header is truncated or corrupt');
  if (header.width <= 0 || header.height <= 0) {
    throw new HttpError(400, 'bad_image', `image declares an empty size ${header.width}x${header.height}`);
  }
  // Whatever a decoder would hold, no image over core's MAX_PIXELS (or the server's own limit,
  // when higher) is decoded: streaming a 50000x50000 PNG holds little memory but takes minutes.
  const stored = header.width * header.height;
  const storedLimit = Math.max(maxPixels, MAX_PIXELS);
  if (stored > storedLimit) {
    throw new HttpError(
      413,
      'image_too_large',
      `image is ${header.width}x${header.height} pixels, ${formatPixels(stored)}; this server accepts ` +
        `at most ${formatPixels(storedLimit)} per image: send it resized to at most ${fitWithin(header, storedLimit)}`,
    );
  }
  const reduced = modelRule ? undefined : reducedToFit(header, maxPixels);
  // A rule whose minimum is the reduced frame's shorter side selects exactly that scale (a rule
  // without `scales` allows the same 1/2, 1/4, 1/8 that reducedToFit tries).
  const rule = reduced ? { minShorterSide: Math.min(reduced.width, reduced.height) } : modelRule;
  const cost = decodeCost(header, rule, { streamsRows, fileBytes: bytes.byteLength });
  if (cost.pixels > maxPixels) {
    const note = cost.note ? ` (${cost.note})` : '';
    const baseline = header.format === 'jpeg' && header.progressive ? ' or as a baseline JPEG' : '';
    throw new HttpError(
      413,
      'image_too_large',
      `image is ${header.width}x${header.height} pixels${note}, ${formatPixels(cost.pixels)} to decode; ` +
        `this server decodes at most ${formatPixels(maxPixels)} (${maxPixels} pixels, FERRY_MAX_PIXELS): ` +
        `send it resized to at most ${fitWithin(header, maxPixels)}${baseline}`,
    );
  }
  return reduced ? { header, rule, reduced } : { header, rule };
}
